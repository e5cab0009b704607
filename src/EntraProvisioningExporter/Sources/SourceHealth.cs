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
public sealed record SourceHealth(string TenantId, string Source, bool Up, DateTimeOffset? LastSuccess, string? LastErrorReason,
    long Cycles)
{
    public bool FirstCycleDone => Cycles > 0;

    /// <summary>
    /// The last cycle's throttling headroom, for a source that talks to Graph; null for one that does not, or before its first cycle.
    /// </summary>
    public Graph.GraphThrottleReading? Throttle { get; init; }
}
