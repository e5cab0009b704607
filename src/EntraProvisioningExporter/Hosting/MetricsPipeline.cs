using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Metrics.Collectors;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// Owns the OpenTelemetry MeterProvider (OpenTelemetry.Extensions.Hosting is absent here, so we build and
/// dispose it ourselves). One provider, two readers: the pull reader behind /metrics and, when an OTLP
/// endpoint is configured, the OTLP exporter's periodic reader: both see the same instruments.
/// </summary>
public sealed class MetricsPipeline : IDisposable
{
    public MetricsPipeline(ExporterMeter meter, IEnumerable<IMetricCollector> collectors, ExporterSelfMetrics self, CardinalityOverflows overflows, IConfiguration configuration)
    {
        _ = collectors.ToList(); // instruments are created by the collectors' constructors
        _ = self;
        Exporter = new PrometheusPullExporter(overflows.Update);
        Reader = new BaseExportingMetricReader(Exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
        var builder = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meter.Meter.Name)
            // Only this meter instance (another host in the same process has its own), each instrument sized
            // so no series is dropped up to MaxJobs jobs.
            .AddView(instrument => instrument.Meter != meter.Meter
                ? MetricStreamConfiguration.Drop
                : meter.CardinalityLimitOf(instrument.Name) is { } limit ? new MetricStreamConfiguration { CardinalityLimit = limit } : null)
            .AddReader(Reader);
        OtlpEnabled = IsOtlpConfigured(configuration);
        if (OtlpEnabled)
            builder.AddOtlpExporter((_, reader) => reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative);
        Provider = builder.Build();
    }

    public MeterProvider Provider { get; }
    public BaseExportingMetricReader Reader { get; }
    public PrometheusPullExporter Exporter { get; }
    public bool OtlpEnabled { get; }

    /// <summary>OTLP is on when the standard endpoint variables are set (OTEL_EXPORTER_OTLP_ENDPOINT or …_METRICS_ENDPOINT).</summary>
    public static bool IsOtlpConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ||
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]);

    public void Dispose() => Provider.Dispose();
}
