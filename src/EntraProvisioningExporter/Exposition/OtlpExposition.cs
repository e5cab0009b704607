using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.Configuration;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// OTLP's side of the <see cref="MetricTable"/>: one System.Diagnostics.Metrics instrument per family on a meter
/// of its own, which the OpenTelemetry SDK's MeterProvider (OpenTelemetry.Extensions.Hosting) exports. Tenant and
/// exporter families are observable instruments that read the snapshots when the SDK collects; recorded families
/// are a counter or histogram fed by <see cref="ExporterSelfMetrics"/>. Created only when an OTLP endpoint is
/// configured: without one there is no meter, no MeterProvider and no metric point. <see cref="MetricExpositions"/>
/// gives each a MeterProvider of its own, which exports only this meter's instruments (another meter of the same name,
/// the one a reload replaces, is dropped by its view).
/// </summary>
public sealed class OtlpExposition : IMetricRecorder, IDisposable
{
    public const string MeterName = "EntraProvisioningExporter";

    private readonly Meter meter;
    private readonly Dictionary<MetricFamily, Instrument> recorded = [];
    private readonly Dictionary<string, int> cardinalityLimits = new(StringComparer.Ordinal);
    private readonly TenantSnapshotStore snapshots;
    private readonly RuntimeConfiguration runtime;
    private readonly TimeProvider time;
    private readonly List<TenantHistogramFamily> histograms = [];
    private readonly HistogramRecorder histogramRecorder;

    public OtlpExposition(MetricTable table, TenantSnapshotStore snapshots, RuntimeConfiguration runtime, TimeProvider time)
    {
        this.snapshots = snapshots;
        this.runtime = runtime;
        this.time = time;
        meter = new Meter(MeterName, runtime.Info.Version);
        foreach (var family in table.Families)
        {
            cardinalityLimits[family.Name] = table.SeriesLimit(family);
            switch (family)
            {
                case TenantFamily { Kind: MetricKind.Counter } t:
                    meter.CreateObservableCounter(t.Name, () => Observe(t), unit: null, description: t.Help);
                    break;
                case TenantFamily t:
                    meter.CreateObservableGauge(t.Name, () => Observe(t), unit: null, description: t.Help);
                    break;
                case ExporterFamily e:
                    meter.CreateObservableGauge(e.Name, () => Observe(e), unit: null, description: e.Help);
                    break;
                case TenantHistogramFamily h:
                    recorded[h] = meter.CreateHistogram(h.Name, unit: null, description: h.Help, tags: null,
                        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = h.Buckets });
                    histograms.Add(h);
                    break;
                case RecordedFamily { Kind: MetricKind.Histogram } r:
                    recorded[r] = meter.CreateHistogram(r.Name, unit: null, description: r.Help, tags: null,
                        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = r.Buckets });
                    break;
                case RecordedFamily r:
                    recorded[r] = meter.CreateCounter<double>(r.Name, unit: null, description: r.Help);
                    break;
            }
        }
        histogramRecorder = new HistogramRecorder(this);
        if (histograms.Count > 0) snapshots.Published += histogramRecorder.Apply;
    }

    /// <summary>The OpenTelemetry SDK's settings (OTEL_*, usually from the environment): read at start only.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Settings(IConfiguration configuration) =>
        configuration.AsEnumerable().Where(kv => kv.Key.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase));

    /// <summary>OTLP is on when the standard endpoint variables are set (OTEL_EXPORTER_OTLP_ENDPOINT or …_METRICS_ENDPOINT).</summary>
    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ||
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]);

    /// <summary>The SDK keeps at most this many series of an instrument (sized so none is dropped up to Exporter:MaxJobs jobs).</summary>
    public int? CardinalityLimitOf(Instrument instrument) =>
        instrument.Meter == meter && cardinalityLimits.TryGetValue(instrument.Name, out var limit) ? limit : null;

    // A recorded family Exporter:Metrics leaves out has no instrument.
    public void Add(RecordedFamily family, double increment, params ReadOnlySpan<string> labelValues)
    {
        if (recorded.GetValueOrDefault(family) is Counter<double> counter) counter.Add(increment, Tags(family, labelValues));
    }

    public void Observe(RecordedFamily family, double value, params ReadOnlySpan<string> labelValues)
    {
        if (recorded.GetValueOrDefault(family) is Histogram<double> histogram) histogram.Record(value, Tags(family, labelValues));
    }

    /// <summary>The OpenTelemetry SDK has no way to end one series of an instrument: a removed tenant's counters stop moving.</summary>
    public void Remove(RecordedFamily family, params ReadOnlySpan<string> labelValues)
    {
    }

    private List<Measurement<double>> Observe(TenantFamily family)
    {
        var writer = new MeasurementWriter(family, family.IsAge ? time.GetUtcNow() : null);
        foreach (var tenant in snapshots.All) family.Read(tenant, writer);
        return writer.Measurements;
    }

    private List<Measurement<double>> Observe(ExporterFamily family)
    {
        var writer = new MeasurementWriter(family, null);
        family.Read(runtime.Info, writer);
        return writer.Measurements;
    }

    private static KeyValuePair<string, object?>[] Tags(MetricFamily family, ReadOnlySpan<string> labelValues)
    {
        var tags = new KeyValuePair<string, object?>[labelValues.Length];
        for (var i = 0; i < tags.Length; i++) tags[i] = new(family.LabelNames[i], labelValues[i]);
        return tags;
    }

    public void Dispose()
    {
        snapshots.Published -= histogramRecorder.Apply;
        meter.Dispose();
    }

    /// <summary>
    /// Tenant histograms for OTLP. The SDK has no observable histogram and no weighted record: a publication records each new
    /// event of a bucket at the bucket's mean (so buckets, count and sum are exact), at most <see cref="MaxRecordsPerBucket"/>
    /// a bucket per publication (more is no real cycle of one tenant; the rest is left out of OTLP, not of /metrics).
    /// </summary>
    private sealed class HistogramRecorder(OtlpExposition otlp) : HistogramWriter
    {
        public const long MaxRecordsPerBucket = 100_000;

        private readonly Dictionary<(MetricFamily Family, string Key), HistogramGrowth> applied = [];
        private readonly Dictionary<string, (long Version, InputVersions Versions)> versions = new(StringComparer.OrdinalIgnoreCase);
        private TenantHistogramFamily family = null!;

        /// <summary>On a publication: never throws (a snapshot it cannot read keeps the last state).</summary>
        public void Apply(TenantSnapshot snapshot)
        {
            lock (applied)
            {
                try
                {
                    var last = versions.GetValueOrDefault(snapshot.TenantId);
                    if (snapshot.Version <= last.Version) return; // an older publication, reaching us after a newer one
                    versions[snapshot.TenantId] = (snapshot.Version, snapshot.Versions);
                    var changed = snapshot.Versions.NewerThan(last.Versions);
                    foreach (var h in otlp.histograms.Where(h => (h.Inputs & changed) != 0))
                    {
                        family = h;
                        h.Read(snapshot, this);
                    }
                }
                catch (Exception)
                {
                    // Never out of a publication (later subscribers would miss it): the /metrics side logs the same
                    // snapshot's failure; OTLP keeps what it recorded.
                }
            }
        }

        public override void Add(IReadOnlyList<long> counts, IReadOnlyList<double> sums, params ReadOnlySpan<string> labelValues)
        {
            var key = (family, string.Join('\u0001', labelValues.ToArray()));
            if (!applied.TryGetValue(key, out var growth)) applied[key] = growth = new HistogramGrowth(family);
            var histogram = (Histogram<double>)otlp.recorded[family];
            var tags = Tags(family, labelValues);
            growth.Apply(counts, sums, (_, n, mean) =>
            {
                for (var k = 0; k < Math.Min(n, MaxRecordsPerBucket); k++) histogram.Record(mean, tags);
            });
        }
    }

    /// <summary>Collects a family's samples as measurements; an age's timestamps become seconds since then.</summary>
    private sealed class MeasurementWriter(MetricFamily family, DateTimeOffset? now) : SampleWriter
    {
        public List<Measurement<double>> Measurements { get; } = [];

        public override void Add(double value, params ReadOnlySpan<string> labelValues) =>
            Measurements.Add(new Measurement<double>(now is { } n ? TenantFamily.Age(value, n) : value, Tags(family, labelValues)));
    }
}
