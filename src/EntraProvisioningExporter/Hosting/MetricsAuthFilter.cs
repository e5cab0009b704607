using System.Security.Cryptography;
using System.Text;
using EntraProvisioningExporter.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// Optional protection of /metrics (Exporter:MetricsAuth): a bearer token or basic credentials, compared in
/// constant time. Probes (/healthz, /readyz) stay open. For TLS, configure a Kestrel HTTPS endpoint (README).
/// </summary>
public sealed class MetricsAuthFilter(IOptions<ExporterOptions> options) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var auth = options.Value.MetricsAuth;
        if (auth.Mode.Equals(MetricsAuthMode.None, StringComparison.OrdinalIgnoreCase)) return next(context);
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var bearer = auth.Mode.Equals(MetricsAuthMode.Bearer, StringComparison.OrdinalIgnoreCase);
        var ok = bearer
            ? header.StartsWith("Bearer ", StringComparison.Ordinal) && FixedTimeEquals(header[7..], auth.BearerToken!)
            : header.StartsWith("Basic ", StringComparison.Ordinal) && FixedTimeEquals(Decode(header[6..]), $"{auth.Username}:{auth.Password}");
        if (ok) return next(context);
        context.HttpContext.Response.Headers.WWWAuthenticate = bearer ? "Bearer realm=\"metrics\"" : "Basic realm=\"metrics\", charset=\"UTF-8\"";
        return ValueTask.FromResult<object?>(Results.StatusCode(StatusCodes.Status401Unauthorized));
    }

    private static string Decode(string base64)
    {
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim())); }
        catch (FormatException) { return ""; }
    }

    private static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
