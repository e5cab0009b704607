using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Core.Pipeline;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.LogAnalytics;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Logs;

/// <summary>A log query whose families Exporter:Metrics all leave out is not sent (the real client, to the simulator).</summary>
public sealed class LogAggregatesWantedTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] WindowFamilies = ["entra_provisioning_window_*", "entra_provisioning_last_event_*"];
    private static readonly string[] CycleFamilies = ["entra_provisioning_current_cycle_*",
        "entra_provisioning_job_delete_threshold_proximity"];
    private static readonly string[] EventFamilies =
        [.. EntraProvisioningExporter.Metrics.Families.LogEventFamilies.All(new())
            .Concat(EntraProvisioningExporter.Metrics.Families.LogEventDetailFamilies.All(new())).Select(f => f.Name)];
    private readonly FakeTimeProvider time = new(Start);
    private SimulatedTenant tenant = null!;
    private SimulatorServer simulator = null!;

    public async Task InitializeAsync()
    {
        tenant = DemoScenario.Create(Start);
        simulator = await TestSimulator.StartAsync([tenant], time);
    }

    public async Task DisposeAsync() => await simulator.DisposeAsync();

    [Fact]
    public void Each_aggregate_is_wanted_while_one_family_reading_it_is_kept()
    {
        Assert.Equal(new LogAggregatesWanted(true, true, true), LogAggregatesWanted.Of(new ExporterOptions()));
        Assert.Equal(new LogAggregatesWanted(true, false, true), LogAggregatesWanted.Of(Excluding(WindowFamilies)));
        // One family of the window's four kept is enough to read the window.
        Assert.True(LogAggregatesWanted.Of(Excluding(["entra_provisioning_window_*"])).Windows);
        Assert.Equal(new LogAggregatesWanted(true, true, false), LogAggregatesWanted.Of(Excluding(CycleFamilies)));
        // The delete threshold itself is a Graph setting: leaving it out does not stop the cycles being read.
        Assert.True(LogAggregatesWanted.Of(Excluding(["entra_provisioning_current_cycle_*"])).Cycles);
        // Of the job families, only the deletion proximity reads a log aggregate.
        Assert.Equal(new LogAggregatesWanted(false, false, true),
            LogAggregatesWanted.Of(new ExporterOptions { Metrics = { Include = ["entra_provisioning_job_*"] } }));
        Assert.False(LogAggregatesWanted.Of(new ExporterOptions { Metrics = { Include = ["entra_provisioning_job_status"] } }).Any);
    }

    [Theory]
    [InlineData("", "events,window,cycles")]
    [InlineData("window", "events,cycles")]
    [InlineData("cycles", "events,window")]
    [InlineData("events", "window,cycles")]
    [InlineData("events,window,cycles", "")]
    public async Task Log_Analytics_is_asked_only_the_queries_a_kept_family_reads(string leftOut, string expected)
    {
        var excluded = leftOut.Split(',', StringSplitOptions.RemoveEmptyEntries).SelectMany(g => g switch
        {
            "window" => WindowFamilies,
            "cycles" => CycleFamilies,
            _ => EventFamilies,
        }).ToArray();
        var options = Excluding(excluded);
        var sent = new ConcurrentQueue<string>();
        var transport = new HttpClientTransport(new HttpClient(new Recording(sent) { InnerHandler = new HttpClientHandler() }));
        var client = new LogsQueryClient(simulator.LogAnalyticsEndpoint(tenant.TenantId), credential: null,
            new LogsQueryClientOptions { Transport = transport });
        var tenantOptions = new TenantOptions
        {
            TenantId = tenant.TenantId,
            Logs = new TenantLogOptions { Source = LogSourceKind.LogAnalytics, WorkspaceId = tenant.WorkspaceId },
        };
        var drops = new SourceDrops(new DroppedObjects(new ExporterSelfMetrics([]), NullLogger<DroppedObjects>.Instance), tenant.TenantId,
            SourceNames.LogAnalytics);
        var source = new LogAnalyticsLogSource(tenantOptions, options, client, new TenantSnapshotStore(), time, drops);
        time.Advance(TimeSpan.FromMinutes(10)); // past the ingestion settle, so the event counts have a range to read

        var outcome = await source.RunCycleAsync(CancellationToken.None);

        Assert.Null(outcome.FailureReason);
        Assert.Equal(expected, string.Join(',', sent.Select(Kind)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Graphs_provisioning_logs_are_not_read_when_every_family_they_feed_is_left_out(bool leaveAllOut)
    {
        var options = Excluding(leaveAllOut ? [.. WindowFamilies, .. CycleFamilies, .. EventFamilies] : WindowFamilies);
        var tenantOptions = new TenantOptions
        {
            TenantId = tenant.TenantId,
            GraphEndpoint = simulator.GraphEndpoint(tenant.TenantId),
            Logs = new TenantLogOptions { Source = LogSourceKind.Graph },
        };
        var budget = new RequestBudget(options.Logs.GraphRequestsPer10Seconds, time);
        var (client, http) = EntraProvisioningExporter.Sources.Graph.GraphClientBuilder.Build(tenantOptions, options,
            new ExporterSelfMetrics([]), SourceNames.GraphProvisioningLogs,
            credential: null, time, new RequestBudgetHandler(budget));
        using var _ = http;
        var drops = new SourceDrops(new DroppedObjects(new ExporterSelfMetrics([]), NullLogger<DroppedObjects>.Instance), tenant.TenantId,
            SourceNames.GraphProvisioningLogs);
        var store = new TenantSnapshotStore();
        var source = new GraphLogSource(tenantOptions, options, client, budget, store, time, drops);
        time.Advance(TimeSpan.FromMinutes(10));

        var outcome = await source.RunCycleAsync(CancellationToken.None);

        Assert.Null(outcome.FailureReason);
        var reads = simulator.Requests.Snapshot().Count(r => r.PathAndQuery.Contains("auditLogs/provisioning", StringComparison.Ordinal));
        Assert.Equal(leaveAllOut ? 0 : 1, Math.Min(reads, 1));
        Assert.NotNull(store.Get(tenant.TenantId)?.Logs); // a snapshot is published either way: the source is up, with nothing left to read
    }

    private static ExporterOptions Excluding(string[] patterns) => new() { Metrics = { Exclude = [.. patterns] } };

    /// <summary>Which built-in query a query text is.</summary>
    private static string Kind(string query) =>
        query.Contains("ingestion_time() >", StringComparison.Ordinal) ? "events"
        : query.Contains("isnotempty(CycleId)", StringComparison.Ordinal) ? "cycles"
        : "window";

    private sealed class Recording(ConcurrentQueue<string> sent) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                using var body = JsonDocument.Parse(await content.ReadAsStringAsync(cancellationToken));
                sent.Enqueue(body.RootElement.GetProperty("query").GetString()!);
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
