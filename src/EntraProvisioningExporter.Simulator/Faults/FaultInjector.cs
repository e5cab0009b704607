using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace EntraProvisioningExporter.Simulator.Faults;

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
    /// <summary>Answer with <see cref="FaultRule.Body"/> and <see cref="FaultRule.BodyStatus"/> (odd shapes, nulls, new enum values…).</summary>
    Body,
    /// <summary>A list answered normally, except that its @odata.nextLink points back at itself (top-level only).</summary>
    LoopingNextLink,
}

/// <summary>
/// One scripted fault: which requests it hits (a regex over the path and query), how, and how many times.
/// Properties with a default are settable rather than init-only: the JSON source generator sets init-only properties
/// in an object initializer, which would give a field missing from the JSON its type's default, not the one here.
/// </summary>
public sealed record FaultRule
{
    public required FaultKind Kind { get; init; }
    public string PathPattern { get; set; } = ".*";
    public int StatusCode { get; set; } = 503;
    public int RetryAfterSeconds { get; set; } = 1;
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

/// <summary>The control endpoint's JSON (web defaults, enums by name), generated at build time: no reflection, so native AOT runs it.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(FaultRule))]
public sealed partial class FaultRuleJsonContext : JsonSerializerContext;

/// <summary>Scripted faults for tests and demos: thread-safe, evaluated per request, clearing themselves after <see cref="FaultRule.Times"/>.</summary>
public sealed class FaultInjector
{
    private sealed class Entry(FaultRule rule)
    {
        public FaultRule Rule { get; } = rule;
        public Regex Pattern { get; } = new(rule.PathPattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
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
