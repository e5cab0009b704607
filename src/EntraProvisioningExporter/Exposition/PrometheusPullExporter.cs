using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// The Prometheus side of "one instrumentation, two exporters": an OpenTelemetry exporter driven only by
/// explicit Collect() calls on its reader (public API: BaseExportingMetricReader), which copies the SDK's
/// metric points into an <see cref="ExpositionSnapshot"/> for the serializer. The official
/// OpenTelemetry.Exporter.Prometheus packages are absent from this registry; this is the seam one would replace.
/// </summary>
public sealed class PrometheusPullExporter(Action<IReadOnlyCollection<string>>? reportOverflows = null) : BaseExporter<Metric>
{
    /// <summary>The tag OpenTelemetry puts on the series that absorbs measurements past a cardinality limit.</summary>
    public const string OverflowTag = "otel.metric.overflow";

    private readonly Dictionary<string, int> lastCounts = new(StringComparer.Ordinal);

    private ExpositionSnapshot? last;

    /// <summary>
    /// Hands over the last collection and forgets it, so it is not kept alive between scrapes (at 10,000 jobs it
    /// holds 440,000 samples).
    /// </summary>
    public ExpositionSnapshot? TakeLast() => Interlocked.Exchange(ref last, null);

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var families = new List<MetricFamily>();
        var overflows = new HashSet<string>(StringComparer.Ordinal);
        foreach (var metric in batch)
        {
            var kind = metric.MetricType switch
            {
                MetricType.LongSum or MetricType.DoubleSum => MetricKind.Counter,
                MetricType.Histogram => MetricKind.Histogram,
                _ => MetricKind.Gauge,
            };
            // Sized as the metric was last time: a 50,000-series family then fills one array instead of growing through 16.
            var samples = new List<Sample>(lastCounts.GetValueOrDefault(metric.Name));
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var labels = new SampleLabels(point.Tags);
                if (IsOverflow(point.Tags))
                {
                    overflows.Add(metric.Name);
                    continue;
                }
                samples.Add(metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => new Sample(labels, point.GetSumLong()),
                    MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => new Sample(labels, point.GetSumDouble()),
                    MetricType.LongGauge => new Sample(labels, point.GetGaugeLastValueLong()),
                    MetricType.DoubleGauge => new Sample(labels, point.GetGaugeLastValueDouble()),
                    MetricType.Histogram => new Sample(labels, 0, Histogram(point)),
                    _ => new Sample(labels, double.NaN),
                });
            }
            lastCounts[metric.Name] = samples.Count;
            families.Add(new MetricFamily(metric.Name, metric.Description ?? "", kind, samples));
        }
        last = new ExpositionSnapshot(families);
        reportOverflows?.Invoke(overflows);
        return ExportResult.Success;
    }

    private static bool IsOverflow(ReadOnlyTagCollection tags)
    {
        foreach (var tag in tags)
            if (tag.Key == OverflowTag) return true;
        return false;
    }

    private static HistogramValue Histogram(in MetricPoint point)
    {
        var bounds = new List<double>();
        var counts = new List<long>();
        long cumulative = 0;
        foreach (var bucket in point.GetHistogramBuckets())
        {
            cumulative += bucket.BucketCount;
            if (!double.IsPositiveInfinity(bucket.ExplicitBound)) bounds.Add(bucket.ExplicitBound);
            counts.Add(cumulative);
        }
        return new HistogramValue([.. bounds], [.. counts], point.GetHistogramSum(), point.GetHistogramCount());
    }
}
