using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Histograms read from a tenant's snapshot (<see cref="TenantHistogramFamily"/>). prometheus-net's histogram only takes
/// observations, so a publication observes what each bucket grew by since the last one: its new events at their mean
/// (<see cref="HistogramGrowth"/>). The same observations go to a registry of the tenant's own, which /probe serves.
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

    /// <summary>A histogram series as last applied: its label values, what it was given, and the application that last set it.</summary>
    private sealed class AppliedHistogram(string[] labels, TenantHistogramFamily family)
    {
        public string[] Labels { get; } = labels;
        public HistogramGrowth Growth { get; } = new(family);
        public long Stamp { get; set; }
    }

    /// <summary>Observes, per series, what each bucket grew by since it was last applied.</summary>
    private sealed class HistogramApplier : HistogramWriter
    {
        private TenantHistogramFamily family = null!;
        private Histogram main = null!, mirror = null!;
        private Dictionary<string, AppliedHistogram> applied = null!;
        private long stamp;

        public void Begin(TenantHistogramFamily family, Histogram main, Histogram mirror, Dictionary<string, AppliedHistogram> applied,
            long stamp)
        {
            (this.family, this.main, this.mirror, this.applied, this.stamp) = (family, main, mirror, applied, stamp);
        }

        public override void Add(IReadOnlyList<long> counts, IReadOnlyList<double> sums, params ReadOnlySpan<string> labelValues)
        {
            var key = string.Join('\u0001', labelValues.ToArray());
            if (!applied.TryGetValue(key, out var series)) applied[key] = series = new AppliedHistogram(labelValues.ToArray(), family);
            var child = main.WithLabels(labelValues);
            var mirrored = mirror.WithLabels(labelValues);
            series.Growth.Apply(counts, sums, (_, n, mean) =>
            {
                child.Observe(mean, n);
                mirrored.Observe(mean, n);
            });
            series.Stamp = stamp;
        }
    }
}
