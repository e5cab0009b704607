namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>The identity labels a log series shares with the job series.</summary>
public readonly record struct JobKey(string TenantId, string ServicePrincipalId, string JobId);

public sealed record EventCounter(JobKey Job, string Action, string Status, long Count);

public sealed record ErrorCounter(JobKey Job, string ErrorCode, long Count);

/// <summary>A job's failed events whose failing provisioning step is of this type.</summary>
public sealed record StepFailureCounter(JobKey Job, string Step, long Count);

/// <summary>A tenant's events by one bounded property of the event (who started it, what kind of identity it provisioned).</summary>
public sealed record TenantEventCounter(string Value, long Count);

/// <summary>A job's events that carried a usable duration, and those durations summed.</summary>
public sealed record DurationCounter(JobKey Job, long Count, double Seconds);

/// <summary>
/// What a log event says beyond its action and status: who started it (initiatedBy.initiatorType), what it provisioned
/// (sourceIdentity.identityType), the type of its failing provisioning step (null when no step failed), and the duration
/// bucket of the events staged with it (<see cref="EventDurations.Untimed"/> when they have no usable duration) with their
/// durations' total. Already normalised.
/// </summary>
public readonly record struct EventDetail(string Initiator, string Identity, string? FailedStep, int DurationBucket, double DurationSeconds)
{
    public static readonly EventDetail None = new(LogNormalization.Other, LogNormalization.Other, null, EventDurations.Untimed, 0);

    /// <summary>A duration in one of the buckets (a bucket that does not exist is no duration).</summary>
    public bool Timed => DurationBucket >= 0 && DurationBucket < EventDurations.Count;
}

/// <summary>
/// A tenant's event durations for one action: per bucket of <see cref="EventDurations.BucketsSeconds"/> (and a last one for
/// longer), how many events and their seconds summed. Not cumulative: the exposition makes the histogram's buckets.
/// </summary>
public sealed record DurationHistogram(string Action, IReadOnlyList<long> Counts, IReadOnlyList<double> Seconds);

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
public sealed record JobCycle(JobKey Job, string CycleId, DateTimeOffset Started, DateTimeOffset LastEvent, long Deletes, long Disables,
    long StagedDeletes)
{
    /// <summary>What counts towards the accidental-deletion threshold: deletes and disables.</summary>
    public long Deprovisions => Deletes + Disables;
}

public sealed record CustomSample(KeyValuePair<string, string>[] Labels, double Value);

public sealed record CustomQueryResult(IReadOnlyList<CustomSample> Samples, int DroppedSeries);

/// <summary>
/// A tenant's cumulative event counts as of its log source's last commit, each list sorted by job. Immutable: the source
/// holds the latest as its state (<see cref="LogCounters.Totals"/>) and each snapshot carries that same object.
/// </summary>
public sealed record LogTotals(IReadOnlyList<EventCounter> Events, IReadOnlyList<ErrorCounter> Errors)
{
    public static readonly LogTotals None = new([], []);

    /// <summary>Each job's failed events by the type of the step that failed (counted once each, like <see cref="Events"/>).</summary>
    public IReadOnlyList<StepFailureCounter> StepFailures { get; init; } = [];

    /// <summary>The tenant's events by initiator type.</summary>
    public IReadOnlyList<TenantEventCounter> Initiators { get; init; } = [];

    /// <summary>The tenant's events by source identity type.</summary>
    public IReadOnlyList<TenantEventCounter> IdentityTypes { get; init; } = [];

    /// <summary>Each job's timed events and their summed durations.</summary>
    public IReadOnlyList<DurationCounter> Durations { get; init; } = [];

    /// <summary>The tenant's event durations by action, one histogram per action that was timed.</summary>
    public IReadOnlyList<DurationHistogram> DurationHistograms { get; init; } = [];
}

/// <summary>
/// One tenant's provisioning-log aggregates as of one cycle: its counts (<see cref="Totals"/>) and what the cycle read. Immutable.
/// </summary>
public sealed record TenantLogSnapshot(
    string TenantId,
    string Source,
    LogTotals Totals,
    IReadOnlyList<JobWindow> Windows,
    DateTimeOffset Cursor,
    long BudgetExhaustions,
    IReadOnlyDictionary<string, CustomQueryResult> Custom)
{
    /// <summary>Each job's current cycle, for jobs whose logs carry cycle ids.</summary>
    public IReadOnlyList<JobCycle> Cycles { get; init; } = [];

    public IReadOnlyList<EventCounter> Events => Totals.Events;

    public IReadOnlyList<ErrorCounter> Errors => Totals.Errors;

    public IReadOnlyList<StepFailureCounter> StepFailures => Totals.StepFailures;

    public IReadOnlyList<TenantEventCounter> Initiators => Totals.Initiators;

    public IReadOnlyList<TenantEventCounter> IdentityTypes => Totals.IdentityTypes;

    public IReadOnlyList<DurationCounter> Durations => Totals.Durations;

    public IReadOnlyList<DurationHistogram> DurationHistograms => Totals.DurationHistograms;
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

    /// <summary>provisioningStepType as Graph documents it (lower-cased); any other type is <see cref="Other"/>.</summary>
    public static readonly IReadOnlyList<string> StepTypes = ["import", "scoping", "matching", "processing", "referenceresolution",
        "export", Other];

    /// <summary>initiatedBy.initiatorType as Graph documents it; any other or none is <see cref="Other"/>.</summary>
    public static readonly IReadOnlyList<string> InitiatorTypes = ["user", "application", "system", Other];

    /// <summary>
    /// sourceIdentity.identityType: Microsoft's workbooks split by user and group (any case); any other or none is <see cref="Other"/>.
    /// </summary>
    public static readonly IReadOnlyList<string> IdentityTypes = ["user", "group", Other];

    /// <summary>The label value of an enum member no list above documents.</summary>
    public const string Other = "other";

    /// <summary>A failing step's type: null when there is none, else one of <see cref="StepTypes"/>.</summary>
    public static string? Step(string? raw) => string.IsNullOrWhiteSpace(raw) ? null : Known(raw, StepTypes);

    public static string Initiator(string? raw) => Known(raw, InitiatorTypes);

    public static string Identity(string? raw) => Known(raw, IdentityTypes);

    private static string Known(string? raw, IReadOnlyList<string> known)
    {
        var v = raw?.Trim().ToLowerInvariant();
        return v is not null && known.Contains(v) ? v : Other;
    }

    public static string? ErrorCode(string? raw) =>
        string.IsNullOrWhiteSpace(raw) || raw.Trim().Equals("None", StringComparison.OrdinalIgnoreCase) ? null : raw.Trim();
}

/// <summary>
/// Event durations (durationInMilliseconds, Log Analytics DurationMs): a duration is usable when it is 0 to
/// <see cref="MaxMilliseconds"/>; a negative or longer one is a bad value, dropped and counted, and the event is untimed.
/// Usable ones fall in the buckets of the operation-latency histogram.
/// </summary>
public static class EventDurations
{
    /// <summary>No provisioning operation takes a day; a longer duration is not a real one.</summary>
    public const long MaxMilliseconds = 86_400_000;

    /// <summary>The bucket of events without a usable duration.</summary>
    public const int Untimed = -1;

    /// <summary>The histogram's upper bounds, in seconds: from a fast SCIM call to a ten-minute HR import.</summary>
    public static readonly IReadOnlyList<double> BucketsSeconds = [0.1, 0.5, 1, 5, 30, 60, 300, 600];

    /// <summary>The bounds in milliseconds, as the Log Analytics query compares them.</summary>
    public static readonly IReadOnlyList<long> BucketsMilliseconds = [.. BucketsSeconds.Select(b => (long)Math.Round(b * 1000))];

    /// <summary>Buckets with the last, unbounded one.</summary>
    public static int Count => BucketsSeconds.Count + 1;

    /// <summary>Whether a duration Graph or Log Analytics sent can be used (null: the event has none, which is no fault).</summary>
    public static bool Usable(long? milliseconds) => milliseconds is >= 0 and <= MaxMilliseconds;

    /// <summary>The bucket of a usable duration: the first whose bound it does not pass (the last for longer ones).</summary>
    public static int Bucket(long milliseconds)
    {
        for (var i = 0; i < BucketsMilliseconds.Count; i++)
            if (milliseconds <= BucketsMilliseconds[i]) return i;
        return BucketsMilliseconds.Count;
    }

    /// <summary>Whether <paramref name="events"/> durations summing to <paramref name="totalMs"/> can all lie in the bucket.</summary>
    public static bool Fits(int bucket, long events, double totalMs)
    {
        if (bucket < 0 || bucket >= Count || events <= 0 || double.IsNaN(totalMs)) return false;
        double low = bucket == 0 ? 0 : BucketsMilliseconds[bucket - 1],
            high = bucket < BucketsMilliseconds.Count ? BucketsMilliseconds[bucket] : MaxMilliseconds;
        return totalMs >= events * low && totalMs <= events * high;
    }
}
