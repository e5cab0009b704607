using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Authentication.Azure;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// A Microsoft.Graph SDK client for one tenant: the SDK's default handlers (retry with Retry-After, redirects,
/// compression), then our status counter and token guard innermost, a per-request timeout, and the tenant's
/// credential restricted to its Graph host.
/// </summary>
public static class GraphClientBuilder
{
    public static GraphServiceClient Build(TenantOptions tenant, ExporterOptions options, ExporterSelfMetrics metrics, string source, DelegatingHandler? innermost = null)
    {
        var endpoint = GraphCloud.GraphEndpointOf(tenant);
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        if (innermost is not null) handlers.Add(innermost);
        handlers.Add(new HttpStatusCountingHandler(metrics, source));
        handlers.Add(new TokenDestinationGuardHandler());
        var http = GraphClientFactory.Create(handlers, finalHandler: new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.All,
        });
        http.Timeout = options.RequestTimeout;

        var credential = TokenCredentialFactory.Create(tenant);
        IAuthenticationProvider auth = credential is null
            ? new AnonymousAuthenticationProvider()
            : new AzureIdentityAuthenticationProvider(credential, allowedHosts: [endpoint.Host], scopes: [$"https://{endpoint.Host}/.default"]);
        return new GraphServiceClient(http, auth, endpoint.ToString().TrimEnd('/'));
    }
}
