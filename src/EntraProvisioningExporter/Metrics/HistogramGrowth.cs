namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// What one series of a <see cref="TenantHistogramFamily"/> has been given so far, and what it grew by since: the one rule
/// both expositions apply. A bucket's new events are observed at their mean (<see cref="TenantHistogramFamily.MeanInBucket"/>),
/// so buckets, count and sum stay exact. A count that went down is the source counting from 0 again: what it counts from
/// then on is new, on top (no bucket goes back, no false reset).
/// </summary>
public sealed class HistogramGrowth(TenantHistogramFamily family)
{
    private readonly long[] counts = new long[family.Buckets.Count + 1];
    private readonly double[] sums = new double[family.Buckets.Count + 1];

    /// <summary>Calls <paramref name="observe"/>(bucket, new events, their mean) for each bucket that grew.</summary>
    public void Apply(IReadOnlyList<long> newCounts, IReadOnlyList<double> newSums, Action<int, long, double> observe)
    {
        if (newCounts.Count != counts.Length || newSums.Count != counts.Length)
            throw new ArgumentException($"{family.Name} has {counts.Length} buckets.", nameof(newCounts));
        for (var i = 0; i < counts.Length; i++)
        {
            if (newCounts[i] >= counts[i]) continue;
            Array.Clear(counts);
            Array.Clear(sums);
            break;
        }
        for (var i = 0; i < counts.Length; i++)
        {
            var n = newCounts[i] - counts[i];
            if (n <= 0) continue;
            observe(i, n, family.MeanInBucket(newSums[i] - sums[i], n, i));
            counts[i] = newCounts[i];
            sums[i] = newSums[i];
        }
    }
}
