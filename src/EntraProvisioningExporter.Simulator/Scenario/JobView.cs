namespace EntraProvisioningExporter.Simulator.Scenario;

/// <summary>What a simulated job looks like at one instant: everything Graph's synchronizationJob carries that we model.
/// Enum-valued fields are strings so scenarios can send values the SDK does not know. Timestamps are strings
/// so scenarios can send Microsoft's odd ones ("" and 0001-01-01) exactly.</summary>
public sealed record JobView
{
    public required string Code { get; init; }
    public string ScheduleState { get; init; } = "Active";
    public string ScheduleInterval { get; init; } = "PT40M";
    public long SuccessiveCompleteFailures { get; init; }
    public bool EscrowsPruned { get; init; }
    public ExecutionView? LastExecution { get; init; }
    public ExecutionView? LastSuccessfulExecution { get; init; }
    public ExecutionView? LastSuccessfulExecutionWithExports { get; init; }
    public QuarantineView? Quarantine { get; init; }
    public string SteadyStateFirstAchievedTime { get; init; } = "0001-01-01T00:00:00Z";
    public string SteadyStateLastAchievedTime { get; init; } = "0001-01-01T00:00:00Z";
    public IReadOnlyList<KeyValuePair<string, long>> SynchronizedEntryCountByType { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Settings { get; init; } = [];
    public IReadOnlyList<ProgressView> Progress { get; init; } = [];
}

/// <summary>One entry of status.progress[] (Microsoft's sample counts "pages").</summary>
public sealed record ProgressView(string Units, long CompletedUnits, long TotalUnits, string ObservedAt);

public sealed record ExecutionView
{
    public required string State { get; init; }
    public required string TimeBegan { get; init; }
    public required string TimeEnded { get; init; }
    public long CountEntitled { get; init; }
    public long CountEntitledForProvisioning { get; init; }
    public long CountEscrowed { get; init; }
    public long CountEscrowedRaw { get; init; }
    public long CountExported { get; init; }
    public long CountExports { get; init; }
    public long CountImported { get; init; }
    public long CountImportedDeltas { get; init; }
    public long CountImportedReferenceDeltas { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }

    /// <summary>The error's tenantActionable; null is sent as JSON null (Graph's "does not say").</summary>
    public bool? TenantActionable { get; init; } = true;
}

public sealed record QuarantineView
{
    public required string Reason { get; init; }
    public required string CurrentBegan { get; init; }
    public required string SeriesBegan { get; init; }
    public required string NextAttempt { get; init; }
    public long SeriesCount { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public bool TenantActionable { get; init; } = true;
}

/// <summary>Graph's timestamp format (UTC, seconds precision, 'Z').</summary>
public static class GraphTime
{
    public static string Format(DateTimeOffset value)
        => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
}
