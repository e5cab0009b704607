using System.Collections.Concurrent;

namespace EntraProvisioningExporter.Sources;

public static class SourceNames
{
    /// <summary>Job status from Graph (servicePrincipals/{id}/synchronization/jobs).</summary>
    public const string GraphJobs = "graph_jobs";

    /// <summary>Provisioning logs from a Log Analytics workspace (AADProvisioningLogs).</summary>
    public const string LogAnalytics = "loganalytics";

    /// <summary>Provisioning logs from Graph (/auditLogs/provisioning).</summary>
    public const string GraphProvisioningLogs = "graph_provisioning_logs";
}

/// <summary>The health of one source of one tenant as of its last cycle, and how many cycles it finished. Immutable.</summary>
public sealed record SourceHealth(string TenantId, string Source, bool Up, DateTimeOffset? LastSuccess, string? LastErrorReason, long Cycles)
{
    public bool FirstCycleDone => Cycles > 0;

    /// <summary>The last cycle's throttling headroom, for a source that talks to Graph; null for one that does not, or before its first cycle.</summary>
    public Graph.GraphThrottleReading? Throttle { get; init; }
}

/// <summary>
/// Per tenant and source: up or not, since when data is good, why not. Feeds the source self-metrics and
/// readiness (ready once every registered source has finished its first cycle, successful or not).
/// </summary>
public sealed class SourceHealthRegistry
{
    private readonly ConcurrentDictionary<(string Tenant, string Source), SourceHealth> entries = new();

    /// <summary>Raised after a tenant's source is registered or reports a cycle, on the reporting thread, with the tenant id.</summary>
    public event Action<string>? Changed;

    public void Register(string tenantId, string source)
    {
        entries.TryAdd((tenantId, source), new SourceHealth(tenantId, source, false, null, null, 0));
        Changed?.Invoke(tenantId);
    }

    public void ReportSuccess(string tenantId, string source, DateTimeOffset at, Graph.GraphThrottleReading? throttle = null)
    {
        entries.AddOrUpdate((tenantId, source),
            _ => new SourceHealth(tenantId, source, true, at, null, 1) { Throttle = throttle },
            (_, old) => old with { Up = true, LastSuccess = at, LastErrorReason = null, Cycles = old.Cycles + 1, Throttle = throttle ?? old.Throttle });
        Changed?.Invoke(tenantId);
    }

    public void ReportFailure(string tenantId, string source, string reason, Graph.GraphThrottleReading? throttle = null)
    {
        entries.AddOrUpdate((tenantId, source),
            _ => new SourceHealth(tenantId, source, false, null, reason, 1) { Throttle = throttle },
            (_, old) => old with { Up = false, LastErrorReason = reason, Cycles = old.Cycles + 1, Throttle = throttle ?? old.Throttle });
        Changed?.Invoke(tenantId);
    }

    /// <summary>Forgets a tenant's sources (removed from the configuration, or replaced).</summary>
    public void Remove(string tenantId)
    {
        foreach (var key in entries.Keys.Where(k => k.Tenant == tenantId).ToList()) entries.TryRemove(key, out _);
        Changed?.Invoke(tenantId);
    }

    public IReadOnlyCollection<SourceHealth> All => entries.Values.OrderBy(e => e.TenantId, StringComparer.Ordinal).ThenBy(e => e.Source, StringComparer.Ordinal).ToList();

    /// <summary>One tenant's sources, by source name.</summary>
    public IReadOnlyList<SourceHealth> For(string tenantId) =>
        entries.Values.Where(e => e.TenantId == tenantId).OrderBy(e => e.Source, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Every source registered at start has finished its first cycle. Latched: a tenant added by a reload later does
    /// not make a serving exporter unready (its own series say it is still starting).
    /// </summary>
    public bool AllFirstCyclesDone => ready || (ready = !entries.IsEmpty && entries.Values.All(e => e.FirstCycleDone));

    private volatile bool ready;
}
