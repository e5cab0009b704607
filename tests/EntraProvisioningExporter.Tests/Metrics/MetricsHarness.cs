using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Hosting;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Metrics.Collectors;
using EntraProvisioningExporter.Simulator.Time;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>Every collector over an in-memory snapshot store, collected through the real OpenTelemetry pipeline.</summary>
internal sealed class MetricsHarness : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public MetricsHarness(ExporterOptions? options = null)
    {
        Options = options ?? new ExporterOptions();
        Meter = new ExporterMeter(Options, $"test-{Guid.NewGuid():N}");
        Self = new ExporterSelfMetrics(Meter);
        // Every collector type in the exporter, so none can be missed by the tests (or the README check).
        using var services = new ServiceCollection()
            .AddSingleton(Meter).AddSingleton(Store).AddSingleton(Logs).AddSingleton(Health).AddSingleton<TimeProvider>(Time)
            .AddSingleton<JobInstruments>()
            .AddSingleton(new TenantSharding(Options)).AddSingleton(Overflows)
            .BuildServiceProvider();
        var collectors = CollectorTypes.Select(t => (IMetricCollector)ActivatorUtilities.CreateInstance(services, t)).ToList();
        Pipeline = new MetricsPipeline(Meter, collectors, Self, Overflows, new ConfigurationBuilder().Build());
        Coordinator = new ScrapeCoordinator(Pipeline.CollectAll);
    }

    public ExporterOptions Options { get; }
    public CardinalityOverflows Overflows { get; } = new(Microsoft.Extensions.Logging.Abstractions.NullLogger<CardinalityOverflows>.Instance);
    public ManualTimeProvider Time { get; } = new(Now);
    public JobSnapshotStore Store { get; } = new();
    public LogSnapshotStore Logs { get; } = new();

    public static IReadOnlyList<Type> CollectorTypes { get; } = typeof(IMetricCollector).Assembly.GetTypes()
        .Where(t => typeof(IMetricCollector).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false }).OrderBy(t => t.Name).ToList();
    public SourceHealthRegistry Health { get; } = new();
    public ExporterMeter Meter { get; }
    public ExporterSelfMetrics Self { get; }
    public MetricsPipeline Pipeline { get; }
    public ScrapeCoordinator Coordinator { get; }

    public void Publish(params JobState[] jobs) =>
        Store.Publish(new TenantJobSnapshot(jobs.FirstOrDefault()?.TenantId ?? "t", jobs, Time.GetUtcNow()));

    public ExpositionSnapshot Collect() => Coordinator.CollectAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The samples of one metric, as (labels, value).</summary>
    public IReadOnlyList<(Dictionary<string, string> Labels, double Value)> Series(string name) =>
        Collect().Families.Where(f => f.Name == name).SelectMany(f => f.Samples)
            .Select(s => (s.Labels.ToDictionary(l => l.Key, l => l.Value), s.Value)).ToList();

    public double? Value(string name, string jobId, params (string Key, string Value)[] labels) =>
        Series(name).Where(s => s.Labels.GetValueOrDefault("job_id") == jobId && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value))
            .Select(s => (double?)s.Value).SingleOrDefault();

    public static JobState Job(string id = "scim.1.a", string code = "Active") => new()
    {
        TenantId = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e",
        ServicePrincipalId = "acea479c-60f6-f2de-2b6e-6f10ce024ed8",
        AppName = "Contoso SCIM App",
        JobId = id,
        TemplateId = "scim",
        StatusCode = code,
        ScheduleState = "Active",
        ScheduleInterval = TimeSpan.FromMinutes(40),
    };

    public void Dispose()
    {
        Pipeline.Dispose();
        Meter.Dispose();
    }
}
