using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace EntraProvisioningExporter.TestSupport;

public enum FaultKind
{
    /// <summary>429 with a Retry-After header.</summary>
    Throttle,
    /// <summary>Any HTTP status with a Graph error body (401, 403, 500, 503, 504…).</summary>
    Status,
    /// <summary>Answer normally, but only after a delay (top-level requests only).</summary>
    Delay,
    /// <summary>200 with a JSON body cut off half-way.</summary>
    TruncatedJson,
    /// <summary>200 with a body that is not JSON at all.</summary>
    NotJson,
    /// <summary>Log Analytics only: HTTP 200 with an "error" of code PartialError and only part of the rows.</summary>
    PartialError,
    /// <summary>
    /// Answer with <see cref="FaultRule.Body"/> and <see cref="FaultRule.BodyStatus"/> (odd shapes, nulls, new enum values…), sent as
    /// it is, inside a $batch too (however deep it nests). Each U+FFFF in it is sent as the byte 0xFF: not UTF-8.
    /// </summary>
    Body,
    /// <summary>A list answered normally, except that its @odata.nextLink points back at itself (top-level only).</summary>
    LoopingNextLink,
    /// <summary>
    /// A list answered normally (or with <see cref="FaultRule.Body"/> when it is not "{}") and an @odata.nextLink to
    /// <see cref="FaultRule.NextLink"/> (a path under the tenant's base URL), in a $batch or not.
    /// </summary>
    NextLink,
    /// <summary>
    /// A list whose next-link never ends: the first page answered normally, every page after it empty, each with a
    /// new @odata.nextLink (…$skiptoken=endless-N) to the same path; in a $batch or not.
    /// </summary>
    EndlessNextLink,
}

/// <summary>
/// One scripted fault: which requests it hits (a regex over the path and query), how, and how many times.
/// </summary>
public sealed record FaultRule
{
    public required FaultKind Kind { get; init; }
    public string PathPattern { get; set; } = ".*";
    public int StatusCode { get; set; } = 503;
    public int RetryAfterSeconds { get; set; } = 1;
    /// <summary>
    /// The Retry-After header exactly as sent (negative, garbage, a date…); when set it wins over <see cref="RetryAfterSeconds"/>.
    /// </summary>
    public string? RetryAfter { get; set; }
    /// <summary>For <see cref="FaultKind.NextLink"/>: the path (and query) the next link points at, under the tenant's base URL.</summary>
    public string NextLink { get; set; } = "";
    /// <summary>Status faults: also send Retry-After: <see cref="RetryAfterSeconds"/>, as Graph's 503s may.</summary>
    public bool StatusWithRetryAfter { get; set; }
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(5);
    public string ErrorCode { get; set; } = "";
    public string Body { get; set; } = "{}";
    public int BodyStatus { get; set; } = 200;
    public string ErrorMessage { get; set; } = "";
    /// <summary>Whether the rule hits requests made directly (true) and/or inner requests of a $batch.</summary>
    public bool TopLevel { get; set; } = true;
    public bool InBatch { get; set; } = true;
    /// <summary>Only this tenant's requests (null: every tenant's).</summary>
    public string? TenantId { get; init; }

    /// <summary>How many requests it hits before it clears itself; null for as long as it is installed.</summary>
    public int? Times { get; init; }
}

/// <summary>How the faults shape a response, shared by top-level answers and answers inside a $batch.</summary>
public static class FaultResponses
{
    private static long endless;

    public const string EndlessToken = "endless-";

    public static string RetryAfterOf(FaultRule rule) => rule.RetryAfter
        ?? rule.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A page with its @odata.nextLink set (a body that is not a JSON object is returned as it is).</summary>
    public static string WithNextLink(string page, string nextLink)
    {
        if (System.Text.Json.Nodes.JsonNode.Parse(page) is not System.Text.Json.Nodes.JsonObject node) return page;
        node["@odata.nextLink"] = nextLink;
        return node.ToJsonString();
    }

    /// <summary>
    /// The body of a page of an endless chain: <paramref name="first"/> for the first page, empty after; a new next link each time.
    /// </summary>
    public static string Endless(string first, string baseUrl, string pathAndQuery)
    {
        var path = pathAndQuery.Split('?')[0];
        var body = pathAndQuery.Contains(EndlessToken, StringComparison.Ordinal) ? "{\"value\":[]}" : first;
        return WithNextLink(body, $"{baseUrl}{path}?$skiptoken={EndlessToken}{Interlocked.Increment(ref endless)}");
    }
}

/// <summary>
/// Scripted faults for tests and benchmarks: thread-safe, evaluated per request, clearing themselves after <see cref="FaultRule.Times"/>.
/// </summary>
public sealed class FaultInjector
{
    private sealed class Entry(FaultRule rule)
    {
        public FaultRule Rule { get; } = rule;
        public Regex Pattern { get; } = new(rule.PathPattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase,
            TimeSpan.FromSeconds(1));
        public int Remaining = rule.Times ?? int.MaxValue;
    }

    private readonly ConcurrentQueue<Entry> rules = new();

    public void Add(FaultRule rule) => rules.Enqueue(new Entry(rule));

    public void Clear() => rules.Clear();

    /// <summary>The first rule that matches and still has hits left, consuming one hit.</summary>
    public FaultRule? Next(string pathAndQuery, bool inBatch, string? tenantId = null)
    {
        foreach (var e in rules)
        {
            if (inBatch ? !e.Rule.InBatch : !e.Rule.TopLevel) continue;
            if (e.Rule.TenantId is { } only && !only.Equals(tenantId, StringComparison.OrdinalIgnoreCase)) continue;
            if (!e.Pattern.IsMatch(pathAndQuery)) continue;
            if (Interlocked.Decrement(ref e.Remaining) >= 0) return e.Rule;
        }
        return null;
    }
}
