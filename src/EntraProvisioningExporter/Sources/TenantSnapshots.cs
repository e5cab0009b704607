using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Sources;

/// <summary>Which of a tenant's snapshots a publication changed (and so which metric families read it).</summary>
[Flags]
public enum TenantInputs
{
    None = 0,

    /// <summary>The jobs' state.</summary>
    Jobs = 1,
    Logs = 2,
    Health = 4,

    /// <summary>Which jobs the tenant has (a job appeared or went), not their state.</summary>
    JobSet = 8,
    All = Jobs | Logs | Health | JobSet,
}

/// <summary>
/// Everything known about one tenant at one instant: its latest job snapshot, its latest provisioning-log snapshot
/// (each null until its source first publishes) and the health of each of its sources. Immutable.
/// </summary>
public sealed record TenantSnapshot(string TenantId, TenantJobSnapshot? Jobs, TenantLogSnapshot? Logs, IReadOnlyList<SourceHealth> Sources)
{
    public IReadOnlyList<JobState> JobList => Jobs?.Jobs ?? [];

    /// <summary>Whether the tenant reads provisioning logs (a log source is registered), whether or not it has published yet.</summary>
    public bool HasLogSource => Logs is not null || Sources.Any(s => s.Source != SourceNames.GraphJobs);
}

/// <summary>
/// One view over the three stores a tenant's state lives in, and one notification when any of them changes: what
/// the expositions subscribe to, so a publication is applied once, when it happens, not re-read at every scrape.
/// </summary>
public sealed class TenantSnapshots
{
    private readonly JobSnapshotStore jobs;
    private readonly LogSnapshotStore logs;
    private readonly SourceHealthRegistry health;

    public TenantSnapshots(JobSnapshotStore jobs, LogSnapshotStore logs, SourceHealthRegistry health)
    {
        this.jobs = jobs;
        this.logs = logs;
        this.health = health;
        jobs.Published += (tenant, jobSetChanged) => Published?.Invoke(tenant, jobSetChanged ? TenantInputs.Jobs | TenantInputs.JobSet : TenantInputs.Jobs);
        logs.Published += tenant => Published?.Invoke(tenant, TenantInputs.Logs);
        health.Changed += tenant => Published?.Invoke(tenant, TenantInputs.Health);
    }

    /// <summary>Raised on the publishing thread after one of a tenant's snapshots changed.</summary>
    public event Action<string, TenantInputs>? Published;

    public TenantSnapshot Get(string tenantId) => new(tenantId, jobs.Get(tenantId), logs.Get(tenantId), health.For(tenantId));

    /// <summary>Every tenant any store knows, by tenant id.</summary>
    public IReadOnlyList<TenantSnapshot> All =>
        jobs.All.Select(s => s.TenantId).Concat(logs.All.Select(s => s.TenantId)).Concat(health.All.Select(h => h.TenantId))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).Select(Get).ToList();
}
