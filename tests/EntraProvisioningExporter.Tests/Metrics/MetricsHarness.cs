using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>The whole metric table over an in-memory snapshot store, applied to the real prometheus-net registry /metrics serves.</summary>
internal sealed class MetricsHarness
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    public const string TenantId = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e";

    public MetricsHarness(ExporterOptions? options = null)
    {
        Options = options ?? new ExporterOptions();
        Runtime = new RuntimeConfiguration(Options, new ExporterInfo("test", Options.PollInterval, 0, 1, 1, 1, true, Now));
        Table = MetricTable.Build(Options, () => Runtime.Options.Quarantine);
        Exposition = new PrometheusExposition(Table, Snapshots, Runtime, Time, NullLogger<PrometheusExposition>.Instance);
        Self = new ExporterSelfMetrics([Exposition]);
        Drops = new DroppedObjects(Self, NullLogger<DroppedObjects>.Instance);
    }

    public DroppedObjects Drops { get; }

    public ExporterOptions Options { get; }
    public RuntimeConfiguration Runtime { get; }
    public MetricTable Table { get; }
    public FakeTimeProvider Time { get; } = new(Now);
    public TenantSnapshotStore Snapshots { get; } = new();
    public PrometheusExposition Exposition { get; }
    public ExporterSelfMetrics Self { get; }

    public void Publish(params JobState[] jobs) =>
        Snapshots.PublishJobs(new TenantJobSnapshot(jobs.FirstOrDefault()?.TenantId ?? TenantId, jobs, Time.GetUtcNow()));

    public void PublishLogs(TenantLogSnapshot snapshot) => Snapshots.PublishLogs(snapshot);

    /// <summary>The registry serialized as /metrics serves it in the text format.</summary>
    public string Scrape() => Scrape(Exposition);

    /// <summary><paramref name="exposition"/>'s registry serialized as /metrics serves it in the text format.</summary>
    public static string Scrape(PrometheusExposition exposition)
    {
        using var stream = new MemoryStream();
        exposition.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The samples of one metric, as (labels, value).</summary>
    public IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> Series(string name) =>
        MetricsText.Parse(Scrape()).Named(name).Select(s => (s.Labels, s.Value)).ToList();

    public double? Value(string name, string jobId, params (string Key, string Value)[] labels) =>
        Series(name).Where(s => s.Labels.GetValueOrDefault("job_id") == jobId
            && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value))
            .Select(s => (double?)s.Value).SingleOrDefault();

    public static JobState Job(string id = "scim.1.a", string code = "Active") => new()
    {
        TenantId = TenantId,
        ServicePrincipalId = "acea479c-60f6-f2de-2b6e-6f10ce024ed8",
        AppName = "Contoso SCIM App",
        JobId = id,
        TemplateId = "scim",
        StatusCode = code,
        ScheduleState = "Active",
        ScheduleInterval = TimeSpan.FromMinutes(40),
    };

    public static JobKey Key(JobState job) => new(job.TenantId, job.ServicePrincipalId, job.JobId);

    public static TenantLogSnapshot LogSnapshot(string source = SourceNames.LogAnalytics, IReadOnlyList<EventCounter>? events = null,
        IReadOnlyList<JobWindow>? windows = null, DateTimeOffset? cursor = null) =>
        new(TenantId, source, new LogTotals(events ?? [], []), windows ?? [], cursor ?? Now, 0,
            new Dictionary<string, CustomQueryResult>());
}
