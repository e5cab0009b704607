namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>A service principal that has (or may have) provisioning jobs.</summary>
public sealed record ServicePrincipalRef(string Id, string DisplayName);

/// <summary>
/// One provisioning job as the exporter understands it, mapped from Graph's synchronizationJob.
/// Immutable. Absent values are null, never year 1 or zero: "0001-01-01" and "" timestamps are absent,
/// an infinite schedule interval is absent, enum values are kept as Graph's raw strings.
/// </summary>
public sealed record JobState
{
    public required string TenantId { get; init; }
    public required string ServicePrincipalId { get; init; }
    public required string AppName { get; init; }
    public required string JobId { get; init; }
    public required string TemplateId { get; init; }
    public required string StatusCode { get; init; }
    public string? ScheduleState { get; init; }
    public TimeSpan? ScheduleInterval { get; init; }
    public long? SuccessiveCompleteFailures { get; init; }
    public bool? EscrowsPruned { get; init; }
    public QuarantineState? Quarantine { get; init; }
    public ExecutionState? LastExecution { get; init; }
    public DateTimeOffset? LastSuccessfulExecution { get; init; }
    public DateTimeOffset? LastSuccessfulExport { get; init; }
    public DateTimeOffset? SteadyStateLastAchieved { get; init; }

    /// <summary>When the job first reached steady state (its initial cycle completed); null if never or unknown.</summary>
    public DateTimeOffset? SteadyStateFirstAchieved { get; init; }

    /// <summary>Whether the initial cycle has ever completed; null when the job has no status at all.</summary>
    public bool? SteadyStateReached { get; init; }

    public IReadOnlyList<KeyValuePair<string, long>> SynchronizedEntries { get; init; } = [];

    /// <summary>Graph's status.progress[]: one entry per unit kind, the latest observation when Graph repeats a kind.</summary>
    public IReadOnlyList<ProgressState> Progress { get; init; } = [];

    /// <summary>
    /// The accidental-deletion threshold from the job's settings (QuarantineTooManyDeletesThreshold): deletes in one
    /// cycle past which Microsoft quarantines the job for TooManyDeletes. Null when the setting is absent, is not a
    /// whole number of at least 0, or QuarantineTooManyDeletes is "false".
    /// </summary>
    public long? DeleteThreshold { get; init; }

    public bool IsQuarantined => StatusCode == KnownValues.Quarantine;
}

public sealed record QuarantineState(
    string Reason,
    DateTimeOffset? CurrentBegan,
    DateTimeOffset? SeriesBegan,
    DateTimeOffset? NextAttempt,
    long? SeriesCount,
    string? ErrorCode,
    bool? TenantActionable = null);

/// <summary>One unit kind of a job's progress towards completing its cycle (Graph's synchronizationProgress).</summary>
public sealed record ProgressState(string Units, long? Completed, long? Total, DateTimeOffset? ObservedAt);

public sealed record ExecutionState
{
    public required string State { get; init; }
    public DateTimeOffset? TimeBegan { get; init; }
    public DateTimeOffset? TimeEnded { get; init; }
    public long? CountEntitled { get; init; }
    public long? CountEntitledForProvisioning { get; init; }
    public long? CountEscrowed { get; init; }
    public long? CountEscrowedRaw { get; init; }
    public long? CountExported { get; init; }
    public long? CountExports { get; init; }
    public long? CountImported { get; init; }
    public long? CountImportedDeltas { get; init; }
    public long? CountImportedReferenceDeltas { get; init; }

    /// <summary>The run's own error code (Graph's lastExecution.error.code), null when it has none or a blank one.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Whether Microsoft says the tenant can fix the run's error; null when Graph does not say.</summary>
    public bool? ErrorTenantActionable { get; init; }

    /// <summary>Running when it began and has not ended since (no end, or an end before the start).</summary>
    public bool IsRunning => TimeBegan is { } b && (TimeEnded is not { } e || e < b);
}

/// <summary>The enum values Graph documents. Others are kept as they come and shown raw.</summary>
public static class KnownValues
{
    public const string Quarantine = "Quarantine";
    public const string TooManyDeletes = "TooManyDeletes";
    public static readonly IReadOnlyList<string> StatusCodes = ["NotConfigured", "NotRun", "Active", "Paused", Quarantine];
    public static readonly IReadOnlyList<string> ScheduleStates = ["Active", "Disabled", "Paused"];
    public static readonly IReadOnlyList<string> ExecutionStates = ["Succeeded", "Failed", "EntryLevelErrors"];

    /// <summary>What an absent enum value is shown as.</summary>
    public const string Unknown = "Unknown";
}
