using System.Globalization;
using System.Net.Http.Headers;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// Retry-After as the wire sends it, made safe: delta-seconds or an HTTP date, clamped to [<see cref="Min"/>,
/// <see cref="Max"/>]. A negative delta or a date in the past waits <see cref="Min"/>; a huge delta or a far date waits
/// <see cref="Max"/>; anything else (garbage, empty, several values) is no Retry-After at all, and the caller's own
/// backoff applies. Never throws.
/// </summary>
public static class RetryAfter
{
    public static readonly TimeSpan Min = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(120);

    public static TimeSpan? Parse(string? raw, DateTimeOffset now)
    {
        var value = raw?.Trim();
        if (string.IsNullOrEmpty(value)) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return double.IsFinite(seconds) ? Clamp(seconds) : null;
        if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            || DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
            return Clamp((date - now).TotalSeconds);
        return null;
    }

    /// <summary>The value of a response's Retry-After header (the raw text, as the typed parser refuses negatives).</summary>
    public static TimeSpan? Of(HttpHeaders headers, DateTimeOffset now) =>
        headers.TryGetValues("Retry-After", out var values) && values.ToList() is [var only] ? Parse(only, now) : null;

    private static TimeSpan Clamp(double seconds) => seconds <= Min.TotalSeconds ? Min : seconds >= Max.TotalSeconds ? Max
        : TimeSpan.FromSeconds(seconds);
}

/// <summary>
/// Rewrites the Retry-After of every response to whole delta-seconds within <see cref="RetryAfter"/>'s range, or
/// removes it when it cannot be read, before the SDK's retry handler (which throws on a negative delay) sees it.
/// </summary>
public sealed class RetryAfterClampHandler(TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.Headers.Contains("Retry-After")) return response;
        var clamped = RetryAfter.Of(response.Headers, time.GetUtcNow());
        response.Headers.Remove("Retry-After");
        if (clamped is { } wait)
            response.Headers.TryAddWithoutValidation("Retry-After",
                ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        return response;
    }
}
