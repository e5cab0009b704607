using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>How close each job is to Microsoft's quarantine thresholds (formulas in <see cref="EscrowProximity"/> and docs/metrics.md).</summary>
public static class EscrowProximityFamilies
{
    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        var t = o.Quarantine;
        yield return JobFamily.Gauge("entra_provisioning_job_escrow_failure_ratio",
            MetricHelp.FromGraph("Share of the last execution's attempted exports that failed: escrowed / (exported + escrowed).", o),
            job => EscrowProximity.FailureRatio(job.LastExecution));
        yield return JobFamily.Labelled("entra_provisioning_job_escrow_threshold_proximity",
            MetricHelp.FromGraph($"Proximity to a quarantine threshold, 1 = reached: proportion = min(failure ratio / {t.FailureProportion}, operations / {t.MinimumOperations}); non_reference_failures = escrowed / {t.NonReferenceFailures}; total_failures = escrowed raw / {t.TotalFailures}.", o),
            "threshold", 3, job => EscrowProximity.Compute(job.LastExecution, t));
    }
}
