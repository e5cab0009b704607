namespace EntraProvisioningExporter.Simulator.Logs;

/// <summary>
/// One provisioning log entry as the simulator holds it; written out as a Graph provisioningObjectSummary or
/// an AADProvisioningLogs row. Action and status use Graph's lower-case spelling; Log Analytics rows use
/// the table's capitalised spelling.
/// </summary>
public sealed record ProvisioningEvent
{
    public required string Id { get; init; }
    public required DateTimeOffset ActivityDateTime { get; init; }
    /// <summary>When the event reaches Log Analytics (minutes after it happened).</summary>
    public required DateTimeOffset IngestionTime { get; init; }
    /// <summary>When the event shows in Graph's /auditLogs/provisioning.</summary>
    public required DateTimeOffset GraphVisibleTime { get; init; }
    public required string TenantId { get; init; }
    public required string JobId { get; init; }
    public required string ServicePrincipalId { get; init; }
    public required string ServicePrincipalName { get; init; }
    public required string CycleId { get; init; }
    public required string Action { get; init; }
    public required string Status { get; init; }
    public string? ErrorCode { get; init; }
    public int DurationMs { get; init; }
    /// <summary>initiatedBy.initiatorType, Graph's spelling: system (scheduled cycles), user (on demand), application.</summary>
    public string Initiator { get; init; } = "system";
    /// <summary>sourceIdentity.identityType as Graph writes it ("User", "Group").</summary>
    public string IdentityType { get; init; } = "User";
    /// <summary>The provisioningStepType of the step that failed (Graph's spelling), or null when none did.</summary>
    public string? FailedStep { get; init; }
    public string SourceSystem { get; init; } = "Microsoft Entra ID";
    public string TargetSystem { get; init; } = "SCIM";
}

/// <summary>
/// What one run of a job logs: how many events of each action, status and error code; who started them, what they
/// provision, the step a failure fails at (export unless said), and their typical duration (a few hundred ms unless said).
/// </summary>
public sealed record EventMix(string Action, string Status, int Count, string? ErrorCode = null)
{
    public string Initiator { get; init; } = "system";
    public string Identity { get; init; } = "User";
    public string? FailedStep { get; init; }
    public int? DurationMs { get; init; }
}
