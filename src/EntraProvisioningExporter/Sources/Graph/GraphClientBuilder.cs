using Azure.Core;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using Microsoft.Graph;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Authentication.Azure;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// A Microsoft.Graph SDK client for one tenant: the SDK's default handlers (retry with Retry-After, redirects,
/// compression), then our status counter and token guard innermost, a per-request timeout, and the tenant's
/// credential restricted to its Graph host. The client does not dispose the HttpClient it is given: its owner does
/// (<see cref="TenantSources"/>), so a removed or rebuilt tenant's connections close.
/// </summary>
public static class GraphClientBuilder
{
    public static (GraphServiceClient Client, HttpClient Http) Build(TenantOptions tenant, ExporterOptions options,
        ExporterSelfMetrics metrics,
        string source, TokenCredential? credential, TimeProvider time, DelegatingHandler? innermost = null,
            GraphThrottleMeter? throttle = null)
    {
        var endpoint = GraphCloud.GraphEndpointOf(tenant);
        // Retries of 429/503/504, honouring Retry-After: bounded by HttpMaxRetries.
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        var retry = handlers.ToList().FindIndex(h => h is RetryHandler);
        var bounded = new RetryHandler(new RetryHandlerOption
        {
            MaxRetry = options.HttpMaxRetries,
            Delay = Math.Max(1, (int)Math.Ceiling(options.HttpRetryDelay.TotalSeconds)),
        });
        if (retry >= 0) handlers[retry] = bounded;
        else handlers.Insert(0, bounded);
        handlers.Insert(0, new RetriesExhaustedHandler());
        if (innermost is not null) handlers.Add(innermost);
        // Inside the SDK's retry handler, so it only ever sees a Retry-After it can wait on, and parsers only readable JSON.
        handlers.Add(new RetryAfterClampHandler(time));
        handlers.Add(new LenientJsonHandler());
        handlers.Add(new HttpStatusCountingHandler(metrics, source));
        if (throttle is not null) handlers.Add(new GraphThrottleHandler(throttle));
        handlers.Add(new TokenDestinationGuardHandler(uri => GraphCloud.MayReceiveToken(uri, tenant)));
        var http = GraphClientFactory.Create(handlers, finalHandler: new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.All,
        });
        http.Timeout = options.RequestTimeout;

        IAuthenticationProvider auth = credential is null
            ? new AnonymousAuthenticationProvider()
            : new AzureIdentityAuthenticationProvider(credential, allowedHosts: [endpoint.Host], scopes: [GraphCloud.Scope(tenant.Cloud)]);
        return (new GraphServiceClient(http, auth, endpoint.ToString().TrimEnd('/')), http);
    }
}
