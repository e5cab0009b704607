using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>
/// How close a job is to Microsoft's quarantine thresholds, from its last execution's counters
/// (formulas in docs/metrics.md). 1.0 means the threshold is reached.
/// - failure ratio = escrowed / (exported + escrowed): the share of attempted exports that failed.
/// - proportion = min(ratio / FailureProportion, (exported + escrowed) / MinimumOperations): the proportion rule
///   trips only when both the share and the minimum volume are reached, so proximity is the lesser of the two.
/// - non_reference_failures = escrowed / NonReferenceFailures (countEscrowed excludes system-generated escrows;
///   the job status cannot separate reference failures, so this is an upper bound).
/// - total_failures = escrowedRaw / TotalFailures.
/// </summary>
public static class EscrowProximity
{
    public const string Proportion = "proportion";
    public const string NonReferenceFailures = "non_reference_failures";
    public const string TotalFailures = "total_failures";

    public static double? FailureRatio(ExecutionState? e)
    {
        if (e?.CountEscrowed is not { } escrowed) return null;
        var attempted = (e.CountExported ?? 0) + escrowed;
        return attempted <= 0 ? null : (double)escrowed / attempted;
    }

    public static IEnumerable<(string Threshold, double Value)> Compute(ExecutionState? e, QuarantineOptions t)
    {
        if (e is null) yield break;
        if (e.CountEscrowed is { } escrowed)
        {
            var attempted = (e.CountExported ?? 0) + escrowed;
            if (attempted > 0)
            {
                var share = (double)escrowed / attempted / t.FailureProportion;
                var volume = t.MinimumOperations <= 0 ? double.PositiveInfinity : (double)attempted / t.MinimumOperations;
                yield return (Proportion, Math.Min(share, volume));
            }
            yield return (NonReferenceFailures, (double)escrowed / t.NonReferenceFailures);
        }
        if ((e.CountEscrowedRaw ?? e.CountEscrowed) is { } raw)
            yield return (TotalFailures, (double)raw / t.TotalFailures);
    }
}
