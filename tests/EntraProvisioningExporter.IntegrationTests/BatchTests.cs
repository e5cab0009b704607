using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>Graph traffic of a poll cycle, counted at the simulator: $batch of 20, per-step throttling honoured.</summary>
public class BatchTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static string[] TenantArgs(SimulatorServer simulator, string tenantId) =>
    [
        "--Exporter:Tenants:0:TenantId", tenantId,
        "--Exporter:Tenants:0:GraphEndpoint", simulator.GraphEndpoint(tenantId).ToString(),
        "--Exporter:Tenants:0:Credential:Kind", "None",
        "--Exporter:PollInterval", "00:01:00",
    ];

    [Fact]
    public async Task With_100_service_principals_a_cycle_makes_5_batch_requests_not_100_calls()
    {
        var time = new FakeTimeProvider(Start);
        // The scenario's apps + synthetic ones = 100 service principals with jobs, plus 30 without.
        var tenant = DemoScenario.Create(Start, syntheticJobs: 100 - Demo.ServicePrincipalsWithJobs, servicePrincipalsWithoutJobs: 30);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        await using var exporter = await ExporterHost.StartAsync(TenantArgs(simulator, tenant.TenantId), time);
        await exporter.WaitReadyAsync();

        // First cycle: discovery lists the 130 service principals (one page) and asks each for its jobs in 7 batches.
        var discovery = simulator.Requests.Snapshot();
        Assert.Equal(1, discovery.Count(r => !r.InBatch && r.PathAndQuery.StartsWith("/servicePrincipals", StringComparison.Ordinal)));
        Assert.Equal(7, discovery.Count(r => !r.InBatch && r.PathAndQuery == "/$batch"));
        Assert.Equal(130, discovery.Count(r => r.InBatch));

        async Task<double> Cycles() => MetricsText.Parse(await exporter.MetricsAsync()).Named("entra_exporter_poll_duration_seconds_count")
            .Single().Value;
        var cyclesBefore = await Cycles();
        simulator.Requests.Clear();
        time.Advance(TimeSpan.FromMinutes(1));
        // A cycle's duration is recorded after its last request: every request it sent is in the log by then.
        await Tools.Eventually(async () => await Cycles() > cyclesBefore, TimeSpan.FromSeconds(30), "the second cycle");
        var cycle = simulator.Requests.Snapshot();
        var topLevel = cycle.Where(r => !r.InBatch).ToList();
        Assert.Equal(5, topLevel.Count);
        Assert.All(topLevel, r => Assert.Equal(("POST", "/$batch"), (r.Method, r.PathAndQuery)));
        var inner = cycle.Where(r => r.InBatch).ToList();
        Assert.Equal(100, inner.Count);
        Assert.Equal(100, inner.Select(r => r.PathAndQuery).Distinct().Count());
        Assert.All(inner, r => Assert.Matches("^/servicePrincipals/[0-9a-f-]{36}/synchronization/jobs$", r.PathAndQuery));

        var samples = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.Equal(101, samples.Named("entra_provisioning_job_info").Count()); // one service principal has two jobs
        Assert.Equal(101, Assert.Single(samples.Named("entra_exporter_discovered_jobs")).Value);
    }

    [Fact]
    public async Task A_throttled_request_inside_a_batch_is_retried_after_its_Retry_After()
    {
        // Real time: not yet moved (the batch runner's Retry-After reading is being changed on another branch).
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        var tenant = DemoScenario.Create(time.GetUtcNow());
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        var zoom = tenant.ServicePrincipals.Single(sp => sp.DisplayName == "Zoom");
        simulator.Faults.Add(new FaultRule { Kind = FaultKind.Throttle, PathPattern = $"/servicePrincipals/{zoom.Id}/synchronization/jobs",
            TopLevel = false, RetryAfterSeconds = 1, Times = 1 });

        var started = DateTime.UtcNow;
        await using var exporter = await ExporterHost.StartAsync(TenantArgs(simulator, tenant.TenantId), time);
        await exporter.WaitReadyAsync();

        var zoomCalls = simulator.Requests.Snapshot().Where(r => r.InBatch && r.PathAndQuery.Contains(zoom.Id, StringComparison.Ordinal))
            .ToList();
        Assert.Equal([429, 200], zoomCalls.Select(r => r.Status));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1), "the retry should have waited for Retry-After");
        var samples = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.Single(samples.Named("entra_provisioning_job_info"), s => s.Labels["app_name"] == "Zoom");
        Assert.Equal(1, Assert.Single(samples.Named("entra_exporter_source_up")).Value);
    }

    [Fact]
    public async Task A_throttled_batch_post_is_retried_by_the_SDK_and_counted()
    {
        // Real time: Kiota's RetryHandler waits Retry-After on the wall clock (it takes no TimeProvider).
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        var tenant = DemoScenario.Create(time.GetUtcNow());
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        simulator.Faults.Add(new FaultRule { Kind = FaultKind.Throttle, PathPattern = "^/\\$batch$", InBatch = false, RetryAfterSeconds = 1,
            Times = 1 });

        await using var exporter = await ExporterHost.StartAsync(TenantArgs(simulator, tenant.TenantId), time);
        await exporter.WaitReadyAsync();
        var samples = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.Equal(1, Assert.Single(samples.Named("entra_exporter_source_up")).Value);
        Assert.Equal(1, samples.Named("entra_exporter_http_requests_total").Single(s => s.Labels["status_code"] == "429").Value);
        Assert.Equal(Demo.Jobs, samples.Named("entra_provisioning_job_info").Count());
    }

    [Fact]
    public async Task A_service_principal_that_keeps_failing_keeps_its_last_good_jobs_and_the_source_says_why()
    {
        var time = new FakeTimeProvider(Start);
        var tenant = DemoScenario.Create(Start);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        await using var exporter = await ExporterHost.StartAsync([.. TenantArgs(simulator, tenant.TenantId), "--Exporter:MaxBatchRetries",
            "0"], time);
        await exporter.WaitReadyAsync();
        var before = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.Equal(1, Assert.Single(before.Named("entra_exporter_source_up")).Value);

        var slack = tenant.ServicePrincipals.Single(sp => sp.DisplayName == "Slack");
        simulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, PathPattern = slack.Id, TopLevel = false });
        time.Advance(TimeSpan.FromMinutes(1));
        await Tools.Eventually(async () => MetricsText.Parse(await exporter.MetricsAsync()).Named("entra_exporter_source_up").Single()
            .Value == 0, TimeSpan.FromSeconds(30), "source to go down");

        var during = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.Single(during.Named("entra_provisioning_job_info"), s => s.Labels["app_name"] == "Slack");
        Assert.Equal(1, during.Named("entra_exporter_poll_errors_total").Single(s => s.Labels["reason"] == "server_error").Value);
        Assert.Equal(before.Named("entra_exporter_source_last_success_timestamp_seconds").Single().Value,
            during.Named("entra_exporter_source_last_success_timestamp_seconds").Single().Value);

        simulator.Faults.Clear();
        time.Advance(TimeSpan.FromMinutes(1));
        await Tools.Eventually(async () => MetricsText.Parse(await exporter.MetricsAsync()).Named("entra_exporter_source_up").Single()
            .Value == 1, TimeSpan.FromSeconds(30), "source to recover by itself");
    }
}
