using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>How close each job is to Microsoft's quarantine thresholds (formulas in <see cref="EscrowProximity"/> and the README).</summary>
public sealed class EscrowProximityCollector : IMetricCollector
{
    public EscrowProximityCollector(JobInstruments i)
    {
        var t = i.Meter.Options.Quarantine;
        i.Gauge("entra_provisioning_job_escrow_failure_ratio", "Share of the last execution's attempted exports that failed: escrowed / (exported + escrowed).",
            job => EscrowProximity.FailureRatio(job.LastExecution));
        i.Labelled("entra_provisioning_job_escrow_threshold_proximity",
            $"Proximity to a quarantine threshold, 1 = reached: proportion = min(failure ratio / {t.FailureProportion}, operations / {t.MinimumOperations}); non_reference_failures = escrowed / {t.NonReferenceFailures}; total_failures = escrowed raw / {t.TotalFailures}.",
            "threshold", 3, job => EscrowProximity.Compute(job.LastExecution, t));
    }
}
