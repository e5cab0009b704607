using System.Collections.Immutable;

namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>The identity labels a log series shares with the job series.</summary>
public readonly record struct JobKey(string TenantId, string ServicePrincipalId, string JobId);

public sealed record EventCounter(JobKey Job, string Action, string Status, long Count);

public sealed record ErrorCounter(JobKey Job, string ErrorCode, long Count);

/// <summary>A job's events in the trailing window by status, and its latest event (within the lookback).</summary>
public sealed record JobWindow(JobKey Job, long Success, long Failure, long Skipped, long Warning, DateTimeOffset? LastEvent)
{
    /// <summary>failures / (successes + failures + warnings); null when there were none.</summary>
    public double? FailureRatio => Success + Failure + Warning is var d and > 0 ? (double)Failure / d : null;
}

/// <summary>
/// A job's current provisioning cycle: the cycle (CycleId) of its latest event that carried one, while that event is
/// within the trailing window, and what it deprovisioned so far. Deletes and disables count unless skipped;
/// staged deletes (held back) count whatever their status.
/// </summary>
public sealed record JobCycle(JobKey Job, string CycleId, DateTimeOffset Started, DateTimeOffset LastEvent, long Deletes, long Disables, long StagedDeletes)
{
    /// <summary>What counts towards the accidental-deletion threshold: deletes and disables.</summary>
    public long Deprovisions => Deletes + Disables;
}

public sealed record CustomSample(KeyValuePair<string, string>[] Labels, double Value);

public sealed record CustomQueryResult(IReadOnlyList<CustomSample> Samples, int DroppedSeries);

/// <summary>One tenant's provisioning-log aggregates as of one cycle. Immutable.</summary>
public sealed record TenantLogSnapshot(
    string TenantId,
    string Source,
    IReadOnlyList<EventCounter> Events,
    IReadOnlyList<ErrorCounter> Errors,
    IReadOnlyList<JobWindow> Windows,
    DateTimeOffset Cursor,
    long BudgetExhaustions,
    IReadOnlyDictionary<string, CustomQueryResult> Custom)
{
    /// <summary>Each job's current cycle, for jobs whose logs carry cycle ids.</summary>
    public IReadOnlyList<JobCycle> Cycles { get; init; } = [];
}

/// <summary>The latest log snapshot of every tenant (a reference swap per publish; readers never wait).</summary>
public sealed class LogSnapshotStore
{
    private ImmutableDictionary<string, TenantLogSnapshot> tenants = ImmutableDictionary.Create<string, TenantLogSnapshot>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Raised after a tenant's snapshot is published, on the publishing thread, with the tenant id.</summary>
    public event Action<string>? Published;

    public void Publish(TenantLogSnapshot snapshot)
    {
        ImmutableInterlocked.AddOrUpdate(ref tenants, snapshot.TenantId, snapshot, (_, _) => snapshot);
        Published?.Invoke(snapshot.TenantId);
    }

    /// <summary>Forgets a tenant (removed from the configuration, or its log source replaced).</summary>
    public void Remove(string tenantId)
    {
        ImmutableInterlocked.TryRemove(ref tenants, tenantId, out _);
        Published?.Invoke(tenantId);
    }

    public TenantLogSnapshot? Get(string tenantId) => Volatile.Read(ref tenants).GetValueOrDefault(tenantId);

    public IReadOnlyList<TenantLogSnapshot> All =>
        Volatile.Read(ref tenants).Values.OrderBy(s => s.TenantId, StringComparer.OrdinalIgnoreCase).ToList();
}

/// <summary>Action and status as the two sources spell them, made one lower-case vocabulary.</summary>
public static class LogNormalization
{
    public static readonly IReadOnlyList<string> Actions = ["create", "update", "delete", "stageddelete", "disable", "other"];
    public static readonly IReadOnlyList<string> Statuses = ["success", "failure", "skipped", "warning"];

    /// <summary>A status neither source documents (e.g. Graph's unknownFutureValue) is counted as this.</summary>
    public const string UnknownStatus = "unknown";

    /// <summary>Error code of a failure that carries none (Log Analytics writes "None" or nothing).</summary>
    public const string UnspecifiedErrorCode = "unspecified";

    /// <summary>The error-code label of the codes past a job's budget.</summary>
    public const string OtherErrorCode = "other";

    /// <summary>"StagedDelete", "stagedDelete", "Update " → "stageddelete", "update"; anything else → "other".</summary>
    public static string Action(string? raw)
    {
        var v = raw?.Trim().ToLowerInvariant();
        return v is not null && Actions.Contains(v) ? v : "other";
    }

    public static string Status(string? raw)
    {
        var v = raw?.Trim().ToLowerInvariant();
        return v is not null && Statuses.Contains(v) ? v : UnknownStatus;
    }

    public static string? ErrorCode(string? raw) =>
        string.IsNullOrWhiteSpace(raw) || raw.Trim().Equals("None", StringComparison.OrdinalIgnoreCase) ? null : raw.Trim();
}
