using System.Security.Cryptography;
using System.Text;
using EntraProvisioningExporter.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Hosting;

/// <summary>Endpoint metadata: the endpoint is protected by Exporter:MetricsAuth.</summary>
public sealed class RequiresMetricsAuth
{
    public static readonly RequiresMetricsAuth Instance = new();
}

/// <summary>
/// Optional protection of the endpoints marked <see cref="RequiresMetricsAuth"/> (Exporter:MetricsAuth): a bearer
/// token or basic credentials, compared in constant time. Probes (/healthz, /readyz) stay open. For TLS, configure
/// a Kestrel HTTPS endpoint (docs/operations.md). Middleware rather than an endpoint filter: /metrics is prometheus-net's
/// request pipeline, not a route handler.
/// </summary>
public sealed class MetricsAuthMiddleware(RequestDelegate next, IOptions<ExporterOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var auth = options.Value.MetricsAuth;
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresMetricsAuth>() is null ||
            auth.Mode.Equals(MetricsAuthMode.None, StringComparison.OrdinalIgnoreCase))
            return next(context);
        var header = context.Request.Headers.Authorization.ToString();
        var bearer = auth.Mode.Equals(MetricsAuthMode.Bearer, StringComparison.OrdinalIgnoreCase);
        var ok = bearer
            ? header.StartsWith("Bearer ", StringComparison.Ordinal) && FixedTimeEquals(header[7..], auth.BearerToken!)
            : header.StartsWith("Basic ", StringComparison.Ordinal) && FixedTimeEquals(Decode(header[6..]), $"{auth.Username}:{auth.Password}");
        if (ok) return next(context);
        context.Response.Headers.WWWAuthenticate = bearer ? "Bearer realm=\"metrics\"" : "Basic realm=\"metrics\", charset=\"UTF-8\"";
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    private static string Decode(string base64)
    {
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim())); }
        catch (FormatException) { return ""; }
    }

    private static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
