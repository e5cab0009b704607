using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Prometheus;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// The metric table in force and the expositions built from it, as one unit: /metrics (a prometheus-net registry) always,
/// OTLP (a meter and its MeterProvider) when an endpoint is configured. A reload that changes the table's layout
/// (Exporter:Metrics, a custom query family, the series bounds that size OTLP) builds a new unit from the published
/// snapshots before anything is applied, then swaps it in whole; the old one stops following publications and is
/// disposed. Tenant families carry on from the snapshots; the recorded families (poll durations and errors, HTTP
/// responses) start again in the new unit, a counter reset, with every running source's error series at 0.
/// </summary>
public sealed partial class MetricExpositions : IMetricRecorder, IDisposable
{
    private readonly TenantSnapshotStore snapshots;
    private readonly RuntimeConfiguration runtime;
    private readonly TimeProvider time;
    private readonly ILoggerFactory loggers;
    private readonly ILogger logger;
    private readonly IConfiguration? otlp;
    private Unit current;
    private Task retiring = Task.CompletedTask;

    /// <summary>How long a replaced MeterProvider's last export may take before it is shut down regardless.</summary>
    private const int LastExportMilliseconds = 2_000;

    /// <summary>
    /// How long a reload waits for the expositions the previous one replaced to be released: each MeterProvider holds
    /// storage sized by Exporter:MaxJobs, so a storm of reloads must not pile them up behind a slow OTLP endpoint.
    /// </summary>
    private static readonly TimeSpan RetireWait = TimeSpan.FromSeconds(15);

    public MetricExpositions(RuntimeConfiguration runtime, TenantSnapshotStore snapshots, TimeProvider time, IConfiguration configuration,
        ILoggerFactory loggers)
    {
        this.snapshots = snapshots;
        this.runtime = runtime;
        this.time = time;
        this.loggers = loggers;
        logger = loggers.CreateLogger<MetricExpositions>();
        // The SDK's settings as they were at start, so that a MeterProvider a reload builds is configured as the first was.
        otlp = OtlpExposition.IsConfigured(configuration)
            ? new ConfigurationBuilder().AddInMemoryCollection(OtlpExposition.Settings(configuration)).Build() : null;
        current = Build(TableFor(runtime.Options));
    }

    /// <summary>The metric table the expositions in force were built from.</summary>
    public MetricTable Table => Volatile.Read(ref current).Table;

    /// <summary>What /metrics and /probe serve.</summary>
    public PrometheusExposition Prometheus => Volatile.Read(ref current).Prometheus;

    /// <summary>The table <paramref name="options"/> give, reading the quarantine thresholds from the configuration in force.</summary>
    public MetricTable TableFor(ExporterOptions options) => MetricTable.Build(options, () => runtime.Options.Quarantine);

    /// <summary>Waits, bounded, until the expositions a previous reload replaced are released.</summary>
    public async Task WaitForRetiredAsync() =>
        await Volatile.Read(ref retiring).WaitAsync(RetireWait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    /// <summary>
    /// Expositions for <paramref name="table"/>, built and following publications but not yet in force; null when the ones in
    /// force already serve that layout. Throws when they cannot be built, and then nothing has changed.
    /// </summary>
    public Replacement? Prepare(MetricTable table) =>
        table.SameLayout(Table, withSeriesLimits: otlp is not null) ? null : new Replacement(Build(table));

    /// <summary>Puts prepared expositions in force (every running source's error series at 0 first) and disposes the old.</summary>
    public void Activate(Replacement replacement)
    {
        var next = replacement.Take();
        var self = new ExporterSelfMetrics([next]);
        foreach (var source in snapshots.Sources) self.InitializePollErrors(source.TenantId, source.Source);
        var old = Interlocked.Exchange(ref current, next);
        old.StopFollowing();
        // Off the reload's path: disposing a MeterProvider flushes a last export, which waits for a slow OTLP endpoint.
        Volatile.Write(ref retiring, Task.Run(() =>
        {
            try
            {
                old.Dispose();
            }
            catch (Exception ex)
            {
                LogDisposeFailed(logger, ex);
            }
        }));
    }

    /// <summary>
    /// /metrics: prometheus-net's own handler (text 0.0.4 or OpenMetrics, from the Accept header) on the registry in force.
    /// </summary>
    public Task ServeAsync(HttpContext context) => Volatile.Read(ref current).Server.Invoke(context);

    public void Add(RecordedFamily family, double increment, params ReadOnlySpan<string> labelValues) =>
        Volatile.Read(ref current).Add(family, increment, labelValues);

    public void Observe(RecordedFamily family, double value, params ReadOnlySpan<string> labelValues) =>
        Volatile.Read(ref current).Observe(family, value, labelValues);

    public void Remove(RecordedFamily family, params ReadOnlySpan<string> labelValues) =>
        Volatile.Read(ref current).Remove(family, labelValues);

    public void Dispose() => Volatile.Read(ref current).Dispose();

    private Unit Build(MetricTable table)
    {
        PrometheusExposition? prometheus = null;
        OtlpExposition? meter = null;
        try
        {
            prometheus = new PrometheusExposition(table, snapshots, runtime, time, loggers.CreateLogger<PrometheusExposition>());
            var server = new MetricServerMiddleware(_ => Task.CompletedTask,
                new MetricServerMiddleware.Settings { Registry = prometheus.Registry });
            if (otlp is null) return new Unit(table, prometheus, server, null, null);
            meter = new OtlpExposition(table, snapshots, runtime, time);
            return new Unit(table, prometheus, server, meter, StartMeterProvider(meter, otlp));
        }
        catch
        {
            meter?.Dispose();
            prometheus?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The OpenTelemetry SDK exporting <paramref name="meter"/>'s instruments over OTLP, configured by the OTEL_* settings of
    /// <paramref name="configuration"/> (the environment, as the SDK reads it). An instrument of another meter of the same
    /// name (the expositions being replaced) is dropped, so no series is exported twice.
    /// </summary>
    private static MeterProvider StartMeterProvider(OtlpExposition meter, IConfiguration configuration) =>
        Sdk.CreateMeterProviderBuilder()
            .ConfigureServices(services => services.AddSingleton(configuration))
            .AddMeter(OtlpExposition.MeterName)
            .AddView(instrument => meter.CardinalityLimitOf(instrument) is { } limit
                ? new MetricStreamConfiguration { CardinalityLimit = limit } : MetricStreamConfiguration.Drop)
            .AddOtlpExporter((_, reader) => reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative)
            .Build();

    /// <summary>Expositions built for a table and not yet in force: disposed unless activated.</summary>
    public sealed class Replacement : IDisposable
    {
        private Unit? unit;

        internal Replacement(Unit unit) => this.unit = unit;

        internal Unit Take() => Interlocked.Exchange(ref unit, null) ?? throw new InvalidOperationException("Already activated.");

        public void Dispose() => Interlocked.Exchange(ref unit, null)?.Dispose();
    }

    /// <summary>A table and what was built from it.</summary>
    internal sealed class Unit(MetricTable table, PrometheusExposition prometheus, MetricServerMiddleware server, OtlpExposition? otlp,
        MeterProvider? provider) : IMetricRecorder, IDisposable
    {
        public MetricTable Table { get; } = table;
        public PrometheusExposition Prometheus { get; } = prometheus;
        public MetricServerMiddleware Server { get; } = server;
        private OtlpExposition? Otlp { get; } = otlp;

        public void Add(RecordedFamily family, double increment, params ReadOnlySpan<string> labelValues)
        {
            Prometheus.Add(family, increment, labelValues);
            Otlp?.Add(family, increment, labelValues);
        }

        public void Observe(RecordedFamily family, double value, params ReadOnlySpan<string> labelValues)
        {
            Prometheus.Observe(family, value, labelValues);
            Otlp?.Observe(family, value, labelValues);
        }

        public void Remove(RecordedFamily family, params ReadOnlySpan<string> labelValues)
        {
            Prometheus.Remove(family, labelValues);
            Otlp?.Remove(family, labelValues);
        }

        /// <summary>Stops reading publications and reloads, and ends the meter's instruments.</summary>
        public void StopFollowing()
        {
            Prometheus.Dispose();
            Otlp?.Dispose();
        }

        public void Dispose()
        {
            StopFollowing();
            provider?.Shutdown(LastExportMilliseconds);
            provider?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Internal error disposing the replaced metric expositions (a bug: please report it)")]
    private static partial void LogDisposeFailed(ILogger logger, Exception exception);
}
