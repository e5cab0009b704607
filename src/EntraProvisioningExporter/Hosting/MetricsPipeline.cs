using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Metrics.Collectors;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// Owns the OpenTelemetry MeterProviders (OpenTelemetry.Extensions.Hosting is absent here, so we build and
/// dispose them ourselves): one per meter of <see cref="ExporterMeter"/>, polled and live, so /metrics can
/// collect the polled instruments once per change of the snapshots and the live ones at every scrape (a
/// provider's collection runs every callback it listens to). Each provider has two readers: the pull reader
/// behind /metrics and, when an OTLP endpoint is configured, the OTLP exporter's periodic reader, so both
/// exporters see the same instruments.
/// </summary>
public sealed class MetricsPipeline : IDisposable
{
    public MetricsPipeline(ExporterMeter meter, IEnumerable<IMetricCollector> collectors, ExporterSelfMetrics self, CardinalityOverflows overflows, IConfiguration configuration)
    {
        _ = collectors.ToList(); // instruments are created by the collectors' constructors
        _ = self;
        OtlpEnabled = IsOtlpConfigured(configuration);
        Polled = new MetricsPart(meter, meter.Meter, overflows, OtlpEnabled);
        Live = new MetricsPart(meter, meter.Live, overflows, OtlpEnabled);
    }

    /// <summary>The instruments whose values change only with the job and log snapshots.</summary>
    public MetricsPart Polled { get; }

    /// <summary>The instruments collected at every scrape.</summary>
    public MetricsPart Live { get; }

    public bool OtlpEnabled { get; }

    /// <summary>Both parts, polled families first, as one snapshot: what /metrics serves, uncached (tests, benchmarks).</summary>
    public ExpositionSnapshot CollectAll() => new([.. Polled.Collect().Families, .. Live.Collect().Families]);

    /// <summary>OTLP is on when the standard endpoint variables are set (OTEL_EXPORTER_OTLP_ENDPOINT or …_METRICS_ENDPOINT).</summary>
    public static bool IsOtlpConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ||
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]);

    public void Dispose()
    {
        Polled.Dispose();
        Live.Dispose();
    }
}

/// <summary>One meter's MeterProvider, with the pull reader /metrics collects through.</summary>
public sealed class MetricsPart : IDisposable
{
    private static readonly TimeSpan CollectTimeout = TimeSpan.FromSeconds(10);

    public MetricsPart(ExporterMeter meter, Meter source, CardinalityOverflows overflows, bool otlp)
    {
        Exporter = new PrometheusPullExporter(names => overflows.Update(source.Name, names));
        Reader = new BaseExportingMetricReader(Exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
        var builder = Sdk.CreateMeterProviderBuilder()
            .AddMeter(source.Name)
            // Only this meter instance (another host in the same process has its own), each instrument sized
            // so no series is dropped up to MaxJobs jobs.
            .AddView(instrument => instrument.Meter != source
                ? MetricStreamConfiguration.Drop
                : meter.CardinalityLimitOf(instrument.Name) is { } limit ? new MetricStreamConfiguration { CardinalityLimit = limit } : null)
            .AddReader(Reader);
        if (otlp)
            builder.AddOtlpExporter((_, reader) => reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative);
        Provider = builder.Build();
    }

    private MeterProvider Provider { get; }
    private BaseExportingMetricReader Reader { get; }
    private PrometheusPullExporter Exporter { get; }

    /// <summary>Runs this meter's callbacks and returns what they measured.</summary>
    public ExpositionSnapshot Collect() =>
        Reader.Collect((int)CollectTimeout.TotalMilliseconds) && Exporter.TakeLast() is { } snapshot
            ? snapshot
            : throw new InvalidOperationException("Metric collection did not complete.");

    public void Dispose() => Provider.Dispose();
}
