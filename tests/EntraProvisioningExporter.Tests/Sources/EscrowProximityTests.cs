using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Tests.Sources;

public class EscrowProximityTests
{
    private static readonly QuarantineOptions Defaults = new();

    private static Dictionary<string, double> Compute(long? escrowed, long? exported, long? raw, QuarantineOptions? t = null) =>
        EscrowProximity.Compute(new ExecutionState { State = "Succeeded", CountEscrowed = escrowed, CountExported = exported,
            CountEscrowedRaw = raw }, t ?? Defaults)
            .ToDictionary(x => x.Threshold, x => x.Value);

    [Fact]
    public void Proportion_is_one_exactly_at_40_percent_with_enough_operations()
    {
        var p = Compute(escrowed: 4000, exported: 6000, raw: 4000);
        Assert.Equal(1.0, p[EscrowProximity.Proportion], 9);
        Assert.Equal(0.4,
            EscrowProximity.FailureRatio(new ExecutionState { State = "x", CountEscrowed = 4000, CountExported = 6000 })!.Value, 9);
    }

    [Fact]
    public void Below_the_minimum_operations_the_volume_caps_the_proportion()
    {
        // 100 % failing but only 1,000 operations: the proportion rule cannot trip before 5,000.
        var p = Compute(escrowed: 1000, exported: 0, raw: 1000);
        Assert.Equal(0.2, p[EscrowProximity.Proportion], 9);
    }

    [Fact]
    public void Absolute_thresholds_use_escrowed_and_raw_counts()
    {
        var p = Compute(escrowed: 20_000, exported: 100_000, raw: 30_000);
        Assert.Equal(0.5, p[EscrowProximity.NonReferenceFailures], 9);
        Assert.Equal(0.5, p[EscrowProximity.TotalFailures], 9);
    }

    [Fact]
    public void Thresholds_are_configurable()
    {
        var t = new QuarantineOptions { FailureProportion = 0.2, MinimumOperations = 100, NonReferenceFailures = 1000,
            TotalFailures = 2000 };
        var p = Compute(escrowed: 100, exported: 900, raw: 400, t);
        Assert.Equal(0.5, p[EscrowProximity.Proportion], 9);
        Assert.Equal(0.1, p[EscrowProximity.NonReferenceFailures], 9);
        Assert.Equal(0.2, p[EscrowProximity.TotalFailures], 9);
    }

    [Fact]
    public void No_counters_no_series_and_no_ratio_without_operations()
    {
        Assert.Empty(Compute(null, null, null));
        Assert.False(Compute(escrowed: 0, exported: 0, raw: 0).ContainsKey(EscrowProximity.Proportion));
        Assert.Null(EscrowProximity.FailureRatio(new ExecutionState { State = "x", CountEscrowed = 0, CountExported = 0 }));
        Assert.Empty(EscrowProximity.Compute(null, Defaults));
    }

    [Fact]
    public void Raw_count_falls_back_to_escrowed_when_absent()
    {
        Assert.Equal(0.1, Compute(escrowed: 6000, exported: 1, raw: null)[EscrowProximity.TotalFailures], 9);
    }
}
