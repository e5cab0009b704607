using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>The job's last execution: outcome, when, and its counters (one gauge each).</summary>
public static class LastExecutionFamilies
{
    private static readonly (string Name, string Help, Func<ExecutionState, long?> Value)[] Counts =
    [
        ("escrowed_entries", "Entries in escrow (failing) after the last execution.", e => e.CountEscrowed),
        ("escrowed_raw_entries", "Entries in escrow after the last execution, including system-generated escrows.",
            e => e.CountEscrowedRaw),
        ("exported_entries", "Entries exported successfully by the last execution.", e => e.CountExported),
        ("expected_exports", "Exports the last execution was expected to make.", e => e.CountExports),
        ("imported_entries", "Entries imported by the last execution.", e => e.CountImported),
        ("imported_deltas", "Changes imported by the last execution.", e => e.CountImportedDeltas),
        ("imported_reference_deltas", "Reference changes (manager, membership) imported by the last execution.",
            e => e.CountImportedReferenceDeltas),
        ("entitled_entries", "Entries in scope (entitled) at the last execution.", e => e.CountEntitled),
        ("entitled_for_provisioning_entries", "Entries entitled for provisioning at the last execution.",
            e => e.CountEntitledForProvisioning),
    ];

    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return JobFamily.StateSet("entra_provisioning_job_last_execution_state",
            MetricHelp.FromGraph("Outcome of the job's last execution as a state set (1 for the current state)."),
            "state", KnownValues.ExecutionStates, job => job.LastExecution?.State);
        yield return JobFamily.Timestamp("entra_provisioning_job_last_execution_start_timestamp_seconds",
            MetricHelp.FromGraph("When the last execution began, in Unix seconds."), job => job.LastExecution?.TimeBegan);
        yield return JobFamily.Timestamp("entra_provisioning_job_last_execution_end_timestamp_seconds",
            MetricHelp.FromGraph("When the last execution ended, in Unix seconds."), job => job.LastExecution?.TimeEnded);
        yield return JobFamily.Error("entra_provisioning_job_last_execution_error",
            MetricHelp.FromGraph("The last execution's own error (value 1 while the last run has an error code): the code as Graph "
                + "sends it, and whether Microsoft says the tenant can fix it (tenant_actionable true, false or unknown)."),
            job => (job.LastExecution?.ErrorCode, job.LastExecution?.ErrorTenantActionable));
        foreach (var (name, help, value) in Counts)
            yield return JobFamily.Gauge($"entra_provisioning_job_last_execution_{name}", MetricHelp.FromGraph(help),
                job => job.LastExecution is { } e ? value(e) : null);
    }
}
