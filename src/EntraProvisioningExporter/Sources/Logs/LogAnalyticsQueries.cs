using EntraProvisioningExporter.Sources.LogAnalytics;

namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// The built-in KQL over AADProvisioningLogs. The action is in ProvisioningAction (Microsoft's sample queries
/// filter a column "Action" the table does not have); the service principal id is inside the ServicePrincipal
/// JSON string. The simulator answers exactly these shapes.
/// </summary>
public static class LogAnalyticsQueries
{
    /// <summary>
    /// Events whose ingestion_time() is in (from, to]: the increments that feed the counters, exactly once. Besides action,
    /// result and error code, each group is split by initiator type, source identity type, the failing step's type (nested
    /// JSON strings, read camelCase as Graph writes them, PascalCase as a fallback) and the duration's bucket
    /// (<see cref="DurationBucket"/>), and carries its events' summed DurationMs.
    /// </summary>
    public static string Increments(DateTimeOffset from, DateTimeOffset to) => $"""
        AADProvisioningLogs
        | where ingestion_time() > datetime({QueryTimeRange.Iso(from)}) and ingestion_time() <= datetime({QueryTimeRange.Iso(to)})
        | extend ServicePrincipalId = tostring(parse_json(ServicePrincipal).Id)
        | extend Initiator = parse_json(InitiatedBy), Identity = parse_json(SourceIdentity)
        | extend InitiatorType = coalesce(tostring(Initiator.initiatorType), tostring(Initiator.InitiatorType))
        | extend IdentityType = coalesce(tostring(Identity.identityType), tostring(Identity.IdentityType))
        | mv-apply Step = parse_json(ProvisioningSteps) on (
            extend StepType = coalesce(tostring(Step.provisioningStepType), tostring(Step.ProvisioningStepType))
            | summarize FailedStep = take_anyif(StepType, coalesce(tostring(Step.status), tostring(Step.Status)) =~ "failure"))
        | extend DurationBucket = {DurationBucket}
        | summarize Events = count(), TotalDurationMs = sum(DurationMs)
            by JobId, ServicePrincipalId, ProvisioningAction, ResultType, ResultSignature,
        """ + " InitiatorType, IdentityType, FailedStep, DurationBucket";

    /// <summary>
    /// The bucket of an event's DurationMs as <see cref="EventDurations.Bucket"/> numbers them; -1 when it has none, -2 when it
    /// is negative or over <see cref="EventDurations.MaxMilliseconds"/>.
    /// </summary>
    public static readonly string DurationBucket =
        $"case(isnull(DurationMs), {EventDurations.Untimed}, "
        + $"DurationMs < 0 or DurationMs > {EventDurations.MaxMilliseconds}, {BadDuration}, "
        + string.Concat(EventDurations.BucketsMilliseconds.Select((ms, i) => $"DurationMs <= {ms}, {i}, "))
        + $"{EventDurations.BucketsMilliseconds.Count})";

    /// <summary>The duration bucket of a negative or absurd DurationMs.</summary>
    public const int BadDuration = -2;

    /// <summary>
    /// Per job: its latest event since <paramref name="lookback"/>, and its events per result since <paramref name="windowStart"/>.
    /// </summary>
    public static string Window(DateTimeOffset lookback, DateTimeOffset windowStart)
    {
        var w = QueryTimeRange.Iso(windowStart);
        return $"""
            AADProvisioningLogs
            | where TimeGenerated > datetime({QueryTimeRange.Iso(lookback)})
            | extend ServicePrincipalId = tostring(parse_json(ServicePrincipal).Id)
            | summarize LastEvent = max(TimeGenerated), {$"Success = countif(ResultType == \"Success\" and TimeGenerated > datetime({w})), "
                + $"Failure = countif(ResultType == \"Failure\" and TimeGenerated > datetime({w})), "
                + $"Skipped = countif(ResultType == \"Skipped\" and TimeGenerated > datetime({w})), "
                + $"Warning = countif(ResultType == \"Warning\" and TimeGenerated > datetime({w}))"} by JobId, ServicePrincipalId
            """;
    }

    /// <summary>
    /// Per job: its current cycle, the cycle of its latest event since <paramref name="lookback"/> that carries a CycleId,
    /// if that event is after <paramref name="activeSince"/>; with the cycle's deletes and disables (not skipped) and staged deletes.
    /// </summary>
    public static string CurrentCycles(DateTimeOffset lookback, DateTimeOffset activeSince) => $"""
        AADProvisioningLogs
        | where TimeGenerated > datetime({QueryTimeRange.Iso(lookback)}) and isnotempty(CycleId)
        | extend ServicePrincipalId = tostring(parse_json(ServicePrincipal).Id)
        | summarize {"CycleStart = min(TimeGenerated), LastEvent = max(TimeGenerated), "
            + "Deletes = countif(ProvisioningAction == \"Delete\" and ResultType != \"Skipped\"), "
            + "Disables = countif(ProvisioningAction == \"Disable\" and ResultType != \"Skipped\"), "
            + "StagedDeletes = countif(ProvisioningAction == \"StagedDelete\")"} by JobId, ServicePrincipalId, CycleId
        | where LastEvent > datetime({QueryTimeRange.Iso(activeSince)})
        | summarize arg_max(LastEvent, CycleId, CycleStart, Deletes, Disables, StagedDeletes) by JobId, ServicePrincipalId
        """;
}
