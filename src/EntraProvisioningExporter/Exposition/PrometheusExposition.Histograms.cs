using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Histograms read from a tenant's snapshot (<see cref="TenantHistogramFamily"/>). prometheus-net's histogram only takes
/// observations, so a publication observes what each bucket grew by since the last one: its new events at their mean
/// (which lies in the bucket, so buckets, count and sum are exact). A count that went down is the source counting again
/// from 0: what it counts from then on adds to the series (no false reset for rate(), no bucket going backwards). The same
/// observations go to a registry of the tenant's own, which /probe serves.
/// </summary>
public sealed partial class PrometheusExposition
{
    private TenantHistogramFamily[] histogramFamilies = [];

    /// <summary>One tenant's histogram series: what was last applied to each, and its /probe registry.</summary>
    private sealed class TenantHistograms
    {
        private readonly Dictionary<string, AppliedHistogram>[] series;
        private readonly Histogram[] mirrors;
        private readonly HistogramApplier applier = new();
        private readonly List<string> stale = [];
        private long stamp;

        public TenantHistograms(TenantHistogramFamily[] families)
        {
            series = [.. families.Select(_ => new Dictionary<string, AppliedHistogram>(StringComparer.Ordinal))];
            var factory = PrometheusMetrics.WithCustomRegistry(Registry);
            mirrors = [.. families.Select(f =>
                factory.CreateHistogram(f.Name, f.Help, [.. f.LabelNames], new HistogramConfiguration { Buckets = [.. f.Buckets] }))];
        }

        public CollectorRegistry Registry { get; } = PrometheusMetrics.NewCustomRegistry();

        public void Apply(int index, TenantHistogramFamily family, Histogram collector, TenantSnapshot snapshot)
        {
            var applied = series[index];
            applier.Begin(family, collector, mirrors[index], applied, ++stamp);
            family.Read(snapshot, applier);
            foreach (var (key, s) in applied)
                if (s.Stamp != stamp) stale.Add(key);
            foreach (var key in stale)
            {
                collector.RemoveLabelled(applied[key].Labels);
                mirrors[index].RemoveLabelled(applied[key].Labels);
                applied.Remove(key);
            }
            stale.Clear();
        }
    }

    /// <summary>A histogram series as last applied: its label values, and per bucket the count and sum it has observed.</summary>
    private sealed class AppliedHistogram(string[] labels, int buckets)
    {
        public string[] Labels { get; } = labels;
        public long[] Counts { get; } = new long[buckets];
        public double[] Sums { get; } = new double[buckets];
        public long Stamp { get; set; }

        /// <summary>The source counts from 0 again: all it counts from now on is new.</summary>
        public void CountAgain()
        {
            Array.Clear(Counts);
            Array.Clear(Sums);
        }
    }

    /// <summary>Observes, per series, what each bucket grew by since it was last applied.</summary>
    private sealed class HistogramApplier : HistogramWriter
    {
        private TenantHistogramFamily family = null!;
        private Histogram main = null!, mirror = null!;
        private Dictionary<string, AppliedHistogram> applied = null!;
        private long stamp;

        public void Begin(TenantHistogramFamily family, Histogram main, Histogram mirror, Dictionary<string, AppliedHistogram> applied, long stamp)
        {
            (this.family, this.main, this.mirror, this.applied, this.stamp) = (family, main, mirror, applied, stamp);
        }

        public override void Add(IReadOnlyList<long> counts, IReadOnlyList<double> sums, params ReadOnlySpan<string> labelValues)
        {
            var buckets = family.Buckets.Count + 1;
            if (counts.Count != buckets || sums.Count != buckets)
                throw new ArgumentException($"{family.Name} has {buckets} buckets.", nameof(counts));
            var key = string.Join('\u0001', labelValues.ToArray());
            if (!applied.TryGetValue(key, out var series))
                applied[key] = series = new AppliedHistogram(labelValues.ToArray(), buckets);
            else if (Enumerable.Range(0, buckets).Any(i => counts[i] < series.Counts[i]))
                series.CountAgain();
            var child = main.WithLabels(labelValues);
            var mirrored = mirror.WithLabels(labelValues);
            for (var i = 0; i < buckets; i++)
            {
                var n = counts[i] - series.Counts[i];
                if (n <= 0) continue;
                var mean = family.MeanInBucket(sums[i] - series.Sums[i], n, i);
                child.Observe(mean, n);
                mirrored.Observe(mean, n);
                series.Counts[i] = counts[i];
                series.Sums[i] = sums[i];
            }
            series.Stamp = stamp;
        }
    }
}
