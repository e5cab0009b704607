using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>
/// How close each job is to Microsoft's quarantine thresholds (formulas in <see cref="EscrowProximity"/> and docs/metrics.md),
/// on the thresholds in force when a snapshot is published (Exporter:Quarantine applies at reload).
/// </summary>
public static class EscrowProximityFamilies
{
    public static IEnumerable<MetricFamily> All(Func<QuarantineOptions> thresholds)
    {
        yield return JobFamily.Gauge("entra_provisioning_job_escrow_failure_ratio",
            MetricHelp.FromGraph("Share of the last execution's attempted exports that failed: escrowed / (exported + escrowed)."),
            job => EscrowProximity.FailureRatio(job.LastExecution));
        yield return JobFamily.Labelled("entra_provisioning_job_escrow_threshold_proximity",
            MetricHelp.FromGraph("Proximity to a quarantine threshold, 1 = reached (the thresholds are Exporter:Quarantine's): "
                + "proportion = min(failure ratio / FailureProportion, operations / MinimumOperations); "
                + "non_reference_failures = escrowed / NonReferenceFailures; total_failures = escrowed raw / TotalFailures."),
            "threshold", 3, job => EscrowProximity.Compute(job.LastExecution, thresholds()));
    }
}
