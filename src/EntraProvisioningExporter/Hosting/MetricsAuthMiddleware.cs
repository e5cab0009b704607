using System.Security.Cryptography;
using System.Text;
using EntraProvisioningExporter.Configuration;
using Microsoft.AspNetCore.Http;

namespace EntraProvisioningExporter.Hosting;

/// <summary>Endpoint metadata: the endpoint is protected by Exporter:MetricsAuth.</summary>
public sealed class RequiresMetricsAuth
{
    public static readonly RequiresMetricsAuth Instance = new();
}

/// <summary>
/// Optional protection of the endpoints marked <see cref="RequiresMetricsAuth"/> (Exporter:MetricsAuth): a bearer
/// token or basic credentials, compared in constant time, as the configuration in force says (a reload applies at
/// once), and those a reload replaced during their grace period (<see cref="MetricsCredentials"/>). Probes (/healthz,
/// /readyz) stay open. For TLS, configure a Kestrel HTTPS endpoint (docs/operations.md). Middleware rather than an
/// endpoint filter: /metrics is prometheus-net's request pipeline, not a route handler.
/// </summary>
public sealed class MetricsAuthMiddleware(RequestDelegate next)
{
    /// <summary>
    /// The configuration in force is resolved per request, not when the pipeline is built (before the options are checked).
    /// </summary>
    public Task InvokeAsync(HttpContext context, RuntimeConfiguration runtime, MetricsCredentials credentials)
    {
        var auth = runtime.Options.MetricsAuth;
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresMetricsAuth>() is null || !MetricsCredentials.Protects(auth))
            return next(context);
        if (credentials.Accepts(auth, context.Request.Headers.Authorization.ToString())) return next(context);
        context.Response.Headers.WWWAuthenticate = MetricsCredentials.IsBearer(auth) ? "Bearer realm=\"metrics\""
            : "Basic realm=\"metrics\", charset=\"UTF-8\"";
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }
}

/// <summary>
/// The credentials a reload replaced, each still accepted for the new configuration's MetricsAuth:GracePeriod, so
/// that a scraper that picks up a rotated token or password after the exporter does (Prometheus reading its own copy
/// of the Secret) is not locked out meanwhile. Turning protection off ends every grace at once; turning it on, or
/// changing nothing, retires nothing.
/// </summary>
public sealed class MetricsCredentials(TimeProvider time)
{
    private sealed record Retired(MetricsAuthOptions Auth, DateTimeOffset Until);

    private IReadOnlyList<Retired> retired = [];

    public static bool Protects(MetricsAuthOptions auth) => !auth.Mode.Equals(MetricsAuthMode.None, StringComparison.OrdinalIgnoreCase);

    public static bool IsBearer(MetricsAuthOptions auth) => auth.Mode.Equals(MetricsAuthMode.Bearer, StringComparison.OrdinalIgnoreCase);

    /// <summary>A reload is about to put <paramref name="after"/> in force in place of <paramref name="before"/>.</summary>
    public void Replacing(MetricsAuthOptions before, MetricsAuthOptions after)
    {
        var now = time.GetUtcNow();
        var kept = Volatile.Read(ref retired).Where(r => r.Until > now).ToList();
        if (!Protects(after)) kept.Clear();
        else if (Protects(before) && !SameCredentials(before, after)) kept.Add(new Retired(before, now + after.GracePeriod));
        Volatile.Write(ref retired, kept);
    }

    /// <summary>
    /// Whether the Authorization header carries <paramref name="current"/>'s credentials, or a retired one's within its grace.
    /// </summary>
    public bool Accepts(MetricsAuthOptions current, string header)
    {
        if (Matches(current, header)) return true;
        var now = time.GetUtcNow();
        foreach (var r in Volatile.Read(ref retired))
            if (r.Until > now && Matches(r.Auth, header)) return true;
        return false;
    }

    private static bool Matches(MetricsAuthOptions auth, string header) => IsBearer(auth)
        ? header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && FixedTimeEquals(header[7..], auth.BearerToken ?? "")
        : header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)
            && FixedTimeEquals(Decode(header[6..]), $"{auth.Username}:{auth.Password}");

    private static bool SameCredentials(MetricsAuthOptions a, MetricsAuthOptions b) =>
        string.Equals(a.Mode, b.Mode, StringComparison.OrdinalIgnoreCase) && a.BearerToken == b.BearerToken && a.Username == b.Username
            && a.Password == b.Password;

    private static string Decode(string base64)
    {
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim())); }
        catch (FormatException) { return ""; }
    }

    private static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
