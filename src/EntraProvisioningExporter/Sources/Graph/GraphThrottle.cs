using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// One cycle's throttling headroom as Graph's identity-and-access responses said it: the highest
/// x-ms-throttle-limit-percentage (0 when no response carried it), the x-ms-resource-unit summed, and every 429 so far
/// by its x-ms-throttle-scope (scope and limit) and x-ms-throttle-information. Immutable.
/// </summary>
public sealed record GraphThrottleReading(double LimitRatio, long ResourceUnits, IReadOnlyDictionary<GraphThrottleKind, long> Throttled)
{
    /// <summary>Above this the app is past its limit: the poller waits an extra interval before its next cycle.</summary>
    public const double SlowDownAbove = 1.0;

    public bool PastTheLimit => LimitRatio > SlowDownAbove;
}

/// <summary>What a 429 said of itself, each part bounded to the values Microsoft documents (else other; none when absent).</summary>
public readonly record struct GraphThrottleKind(string Scope, string Limit, string Reason);

/// <summary>
/// Reads the throttling headers of every Graph response of one tenant's source and keeps them for the source's current
/// cycle (<see cref="EndCycle"/>). Every value from the wire is checked: a percentage that is not a number from 0 to
/// <see cref="MaxLimitRatio"/>, or resource units that are not an integer from 0 to <see cref="MaxResourceUnits"/>, is
/// dropped and counted (bad_value), and the rest of the response is used.
/// </summary>
public sealed class GraphThrottleMeter(SourceDrops drops)
{
    public const string LimitPercentageHeader = "x-ms-throttle-limit-percentage";
    public const string ResourceUnitHeader = "x-ms-resource-unit";
    public const string ScopeHeader = "x-ms-throttle-scope";
    public const string InformationHeader = "x-ms-throttle-information";

    /// <summary>Microsoft documents 0.8 to 1.8; anything past 10 is not a reading.</summary>
    public const double MaxLimitRatio = 10;

    /// <summary>One request costs a handful of units; more than this is not a reading.</summary>
    public const long MaxResourceUnits = 100_000;

    public static readonly IReadOnlyList<string> Scopes = ["Tenant_Application", "Tenant", "Application"];
    public static readonly IReadOnlyList<string> Limits = ["Read", "Write", "ReadWrite"];
    public static readonly IReadOnlyList<string> Reasons = ["ResourceUnitLimitExceeded"];
    public const string Other = "other", None = "none";

    private readonly Lock gate = new();
    private readonly Dictionary<GraphThrottleKind, long> throttled = [];
    private double limitRatio;
    private long resourceUnits;

    public void Observe(HttpResponseHeaders headers, HttpStatusCode status)
    {
        var ratio = Read(headers, LimitPercentageHeader, v =>
            double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= MaxLimitRatio ? d : null);
        var units = Read(headers, ResourceUnitHeader, v =>
            long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l is >= 0 and <= MaxResourceUnits ? l
                : (double?)null);
        GraphThrottleKind? kind = status == HttpStatusCode.TooManyRequests ? Kind(headers) : null;
        lock (gate)
        {
            if (ratio is { } r && r > limitRatio) limitRatio = r;
            if (units is { } u) resourceUnits += (long)u;
            if (kind is { } k) throttled[k] = throttled.GetValueOrDefault(k) + 1;
        }
    }

    /// <summary>The cycle's reading; the next cycle starts from no percentage and no units (the 429 counts go on).</summary>
    public GraphThrottleReading EndCycle()
    {
        lock (gate)
        {
            var reading = new GraphThrottleReading(limitRatio, resourceUnits, new Dictionary<GraphThrottleKind, long>(throttled));
            (limitRatio, resourceUnits) = (0, 0);
            return reading;
        }
    }

    private double? Read(HttpResponseHeaders headers, string name, Func<string, double?> parse)
    {
        if (!headers.TryGetValues(name, out var values)) return null;
        var raw = string.Join(",", values);
        if (parse(raw.Trim()) is { } value) return value;
        drops.Drop(DropReason.BadValue, name,
            $"the {name} header '{(raw.Length > 64 ? raw[..64] + "…" : raw)}' is not a reading; ignored");
        return null;
    }

    /// <summary>x-ms-throttle-scope is Scope/Limit/ApplicationId/TenantId; only the first two are labels (the ids are known).</summary>
    private static GraphThrottleKind Kind(HttpResponseHeaders headers)
    {
        var scope = headers.TryGetValues(ScopeHeader, out var s) ? string.Join(",", s).Split('/') : null;
        var information = headers.TryGetValues(InformationHeader, out var i) ? string.Join(",", i).Trim() : null;
        return new GraphThrottleKind(
            Known(scope?[0], Scopes),
            Known(scope is { Length: > 1 } ? scope[1] : scope is null ? null : "", Limits),
            Known(information, Reasons));
    }

    private static string Known(string? raw, IReadOnlyList<string> known) =>
        raw is null ? None : known.FirstOrDefault(k => k.Equals(raw.Trim(), StringComparison.OrdinalIgnoreCase)) ?? Other;
}

/// <summary>Gives every Graph response (each retry too: innermost) to the source's <see cref="GraphThrottleMeter"/>.</summary>
public sealed class GraphThrottleHandler(GraphThrottleMeter meter) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        meter.Observe(response.Headers, response.StatusCode);
        return response;
    }
}
