using System.Collections.Immutable;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EntraProvisioningExporter.Sources;

/// <summary>The inputs a tenant's snapshot is made of (and so which metric families read a change).</summary>
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

/// <summary>The store's publication number at which each input of a snapshot last changed (0: never).</summary>
public readonly record struct InputVersions(long Jobs, long JobSet, long Logs, long Health)
{
    /// <summary>The inputs that are newer here than in <paramref name="applied"/>.</summary>
    public TenantInputs NewerThan(InputVersions applied) =>
        (Jobs > applied.Jobs ? TenantInputs.Jobs : 0) | (JobSet > applied.JobSet ? TenantInputs.JobSet : 0)
        | (Logs > applied.Logs ? TenantInputs.Logs : 0) | (Health > applied.Health ? TenantInputs.Health : 0);
}

/// <summary>One tenant's job-status poll: its jobs as of one cycle. Immutable.</summary>
public sealed record TenantJobSnapshot(string TenantId, IReadOnlyList<JobState> Jobs, DateTimeOffset CollectedAt);

/// <summary>
/// Everything known about one tenant at one instant: its latest jobs and provisioning-log aggregates (each null until
/// its source first publishes) and the health of each of its sources. Immutable: a change makes a new one.
/// </summary>
public sealed record TenantSnapshot(string TenantId, TenantJobSnapshot? Jobs, TenantLogSnapshot? Logs, IReadOnlyList<SourceHealth> Sources)
{
    public IReadOnlyList<JobState> JobList => Jobs?.Jobs ?? [];

    /// <summary>Whether the tenant reads provisioning logs (a log source is registered), whether or not it has published yet.</summary>
    public bool HasLogSource => Logs is not null || Sources.Any(s => s.Source != SourceNames.GraphJobs);

    /// <summary>
    /// The store's publication number of this snapshot: publications can reach a subscriber out of order, and the
    /// higher number is the newer snapshot (it holds everything the older one did).
    /// </summary>
    public long Version { get; init; }

    /// <summary>When each input last changed, so a subscriber applies only what changed since the snapshot it applied.</summary>
    public InputVersions Versions { get; init; }

    public static TenantSnapshot Empty(string tenantId) => new(tenantId, null, null, []);
}

/// <summary>
/// Every tenant's latest snapshot, the one place a tenant's state is kept. Sources publish into it (jobs, logs, a
/// cycle's health); each change replaces the tenant's snapshot atomically and is announced with the new snapshot
/// itself, so the expositions apply what was published, when it was published, and never read a store back.
/// </summary>
public sealed partial class TenantSnapshotStore(ILogger<TenantSnapshotStore>? logger = null)
{
    private readonly ILogger log = logger ?? NullLogger<TenantSnapshotStore>.Instance;
    private readonly Lock gate = new();
    private ImmutableSortedDictionary<string, TenantSnapshot> tenants =
        ImmutableSortedDictionary.Create<string, TenantSnapshot>(StringComparer.OrdinalIgnoreCase);
    private long version;
    private volatile bool ready;

    /// <summary>
    /// Raised after a tenant's snapshot changed, on the publishing thread, with the new snapshot. Two publications of
    /// one tenant on two threads may arrive in either order: compare <see cref="TenantSnapshot.Versions"/>. A subscriber
    /// that throws is logged and the others still get the snapshot; the publishing source never sees the exception.
    /// </summary>
    public event Action<TenantSnapshot>? Published;

    public void PublishJobs(TenantJobSnapshot jobs) => Update(jobs.TenantId, (s, v) => s with
    {
        Jobs = jobs,
        Versions = s.Versions with { Jobs = v, JobSet = SameJobs(s.Jobs?.Jobs, jobs.Jobs) ? s.Versions.JobSet : v },
    });

    public void PublishLogs(TenantLogSnapshot logs) =>
        Update(logs.TenantId, (s, v) => s with { Logs = logs, Versions = s.Versions with { Logs = v } });

    /// <summary>A source the tenant polls, before its first cycle (readiness waits for it).</summary>
    public void Register(string tenantId, string source) => UpdateSource(tenantId, source,
        old => old ?? new SourceHealth(tenantId, source, false, null, null, 0));

    public void ReportSuccess(string tenantId, string source, DateTimeOffset at, Graph.GraphThrottleReading? throttle = null) =>
        UpdateSource(tenantId, source, old => old is null
            ? new SourceHealth(tenantId, source, true, at, null, 1) { Throttle = throttle }
            : old with { Up = true, LastSuccess = at, LastErrorReason = null, Cycles = old.Cycles + 1,
                Throttle = throttle ?? old.Throttle });

    public void ReportFailure(string tenantId, string source, string reason, Graph.GraphThrottleReading? throttle = null) =>
        UpdateSource(tenantId, source, old => old is null
            ? new SourceHealth(tenantId, source, false, null, reason, 1) { Throttle = throttle }
            : old with { Up = false, LastErrorReason = reason, Cycles = old.Cycles + 1, Throttle = throttle ?? old.Throttle });

    /// <summary>
    /// Forgets a tenant (removed from the configuration, or restarted): announced as an empty snapshot, so its series go.
    /// </summary>
    public void Remove(string tenantId)
    {
        TenantSnapshot gone;
        lock (gate)
        {
            var v = ++version;
            gone = TenantSnapshot.Empty(tenantId) with { Version = v, Versions = new InputVersions(v, v, v, v) };
            Volatile.Write(ref tenants, tenants.Remove(tenantId));
        }
        Announce(gone);
    }

    public TenantSnapshot? Get(string tenantId) => Volatile.Read(ref tenants).GetValueOrDefault(tenantId);

    /// <summary>Every tenant's snapshot, by tenant id.</summary>
    public IReadOnlyList<TenantSnapshot> All => [.. Volatile.Read(ref tenants).Values];

    /// <summary>Every tenant's sources, by tenant and source.</summary>
    public IReadOnlyList<SourceHealth> Sources => [.. Volatile.Read(ref tenants).Values.SelectMany(t => t.Sources)];

    /// <summary>
    /// Every source registered at start has finished its first cycle. Latched: a tenant added by a reload later does
    /// not make a serving exporter unready (its own series say it is still starting).
    /// </summary>
    public bool AllFirstCyclesDone => ready || (ready = Sources is { Count: > 0 } all && all.All(s => s.FirstCycleDone));

    private void UpdateSource(string tenantId, string source, Func<SourceHealth?, SourceHealth> change) =>
        Update(tenantId, (s, v) => s with
        {
            Sources = [.. s.Sources.Where(h => h.Source != source).Append(change(s.Sources.FirstOrDefault(h => h.Source == source)))
                .OrderBy(h => h.Source, StringComparer.Ordinal)],
            Versions = s.Versions with { Health = v },
        });

    private void Update(string tenantId, Func<TenantSnapshot, long, TenantSnapshot> change)
    {
        TenantSnapshot next;
        lock (gate)
        {
            var v = ++version;
            // A tenant new to the store (or back after Remove) has every input changed: a subscriber that gets this
            // snapshot before the removal's must still clear what the tenant had.
            var current = tenants.GetValueOrDefault(tenantId)
                ?? (TenantSnapshot.Empty(tenantId) with { Versions = new InputVersions(v, v, v, v) });
            next = change(current, v) with { Version = v };
            Volatile.Write(ref tenants, tenants.SetItem(tenantId, next));
        }
        Announce(next);
    }

    private void Announce(TenantSnapshot snapshot)
    {
        foreach (var subscriber in Delegate.EnumerateInvocationList(Published))
        {
            try
            {
                subscriber(snapshot);
            }
            catch (Exception ex)
            {
                LogSubscriberFailed(log, snapshot.TenantId, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber to tenant {Tenant}'s snapshots failed on a publication; "
        + "the others got it. This is a bug: please report it.")]
    private static partial void LogSubscriberFailed(ILogger logger, string tenant, Exception exception);

    /// <summary>The same jobs in the same order (pollers publish them sorted).</summary>
    private static bool SameJobs(IReadOnlyList<JobState>? a, IReadOnlyList<JobState> b)
    {
        if (a is null || a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
            if (!string.Equals(a[i].JobId, b[i].JobId, StringComparison.Ordinal)
                || !string.Equals(a[i].ServicePrincipalId, b[i].ServicePrincipalId, StringComparison.Ordinal))
                return false;
        return true;
    }
}
