using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Logs;
using EntraProvisioningExporter.Simulator.Scenario;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The provisioning-log sources against the simulator over real HTTP, checked against its ground truth.</summary>
public class LogSourceTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(1);

    private static string[] LogAnalyticsArgs(SimulatorServer simulator, SimulatedTenant tenant) =>
    [
        "--Exporter:Tenants:0:TenantId", tenant.TenantId,
        "--Exporter:Tenants:0:GraphEndpoint", simulator.GraphEndpoint(tenant.TenantId).ToString(),
        "--Exporter:Tenants:0:Credential:Kind", "None",
        "--Exporter:Tenants:0:Logs:Source", "LogAnalytics",
        "--Exporter:Tenants:0:Logs:WorkspaceId", tenant.WorkspaceId,
        "--Exporter:Tenants:0:Logs:Endpoint", simulator.LogAnalyticsEndpoint(tenant.TenantId).ToString(),
        "--Exporter:PollInterval", "00:01:00",
    ];

    private static async Task<int> CyclesAsync(ExporterHost exporter, string source) =>
        (int)(MetricsText.Parse(await exporter.MetricsAsync()).Named("entra_exporter_poll_duration_seconds_count")
            .SingleOrDefault(s => s.Labels["source"] == source)?.Value ?? 0);

    /// <summary>Moves the manual clock one poll interval and waits for the source's next cycle to finish.</summary>
    private static async Task NextCycleAsync(FakeTimeProvider time, ExporterHost exporter, string source)
    {
        var before = await CyclesAsync(exporter, source);
        time.Advance(TimeSpan.FromMinutes(1));
        await Tools.Eventually(async () => await CyclesAsync(exporter, source) > before, TimeSpan.FromSeconds(30),
            $"cycle {before + 1} of {source}");
    }

    /// <summary>The events counted so far (the series a known job has at 0 before its first event are left out).</summary>
    private static Dictionary<(string Job, string Action, string Status), long> Counted(string metrics) =>
        MetricsText.Parse(metrics).Named("entra_provisioning_events_total").Where(s => s.Value > 0)
            .ToDictionary(s => (s.Labels["job_id"], s.Labels["action"], s.Labels["status"]), s => (long)s.Value);

    private static Dictionary<(string Job, string Action, string Status), long> Truth(IEnumerable<ProvisioningEvent> events) =>
        events.GroupBy(e => (e.JobId, e.Action, e.Status)).ToDictionary(g => g.Key, g => (long)g.Count());

    /// <summary>
    /// What the events say beyond action and status, as the exporter must count it: failures by job and failing step, events
    /// by initiator and by identity type, and per job the timed events and their seconds (to the millisecond).
    /// </summary>
    private static List<string> DetailTruth(IReadOnlyList<ProvisioningEvent> events) =>
    [
        .. events.Where(e => e.Status == "failure" && e.FailedStep is not null)
            .GroupBy(e => (e.JobId, Step: e.FailedStep!.ToLowerInvariant()))
            .Select(g => $"step {g.Key.JobId} {g.Key.Step} {g.Count()}"),
        .. events.GroupBy(e => e.Initiator).Select(g => $"initiator {g.Key} {g.Count()}"),
        .. events.GroupBy(e => e.IdentityType.ToLowerInvariant()).Select(g => $"identity {g.Key} {g.Count()}"),
        .. events.GroupBy(e => e.JobId).Select(g => $"timed {g.Key} {g.Count()} {g.Sum(e => (long)e.DurationMs) / 1000.0:0.000}"),
    ];

    private static List<string> DetailCounted(IReadOnlyList<MetricsText.Sample> samples) =>
    [
        .. samples.Named("entra_provisioning_event_step_failures_total")
            .Select(s => $"step {s.Labels["job_id"]} {s.Labels["step"]} {s.Value}"),
        .. samples.Named("entra_provisioning_events_by_initiator_total").Where(s => s.Value > 0)
            .Select(s => $"initiator {s.Labels["initiator_type"]} {s.Value}"),
        .. samples.Named("entra_provisioning_events_by_identity_type_total").Where(s => s.Value > 0)
            .Select(s => $"identity {s.Labels["identity_type"]} {s.Value}"),
        .. samples.Named("entra_provisioning_timed_events_total").Select(s => $"timed {s.Labels["job_id"]} {s.Value} "
            + $"{samples.Named("entra_provisioning_timed_event_duration_seconds_total")
                .Single(d => d.Labels["job_id"] == s.Labels["job_id"]).Value:0.000}"),
    ];

    /// <summary>Events Log Analytics had ingested in (from, to]: what the counters must show, exactly.</summary>
    private static List<ProvisioningEvent> IngestedBetween(SimulatedTenant tenant, DateTimeOffset from, DateTimeOffset to) =>
        tenant.Events(from - EventScript.MaxIngestionDelay, to).Where(e => e.IngestionTime > from && e.IngestionTime <= to).ToList();

    [Fact]
    public async Task Log_Analytics_counts_every_event_exactly_once_though_they_arrive_late_and_across_cycles()
    {
        var time = new FakeTimeProvider(Start);
        var tenant = DemoScenario.Create(Start);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        await using var exporter = await ExporterHost.StartAsync(LogAnalyticsArgs(simulator, tenant), time);
        await exporter.WaitReadyAsync();

        for (var i = 0; i < 20; i++) await NextCycleAsync(time, exporter, "loganalytics");

        var metrics = await exporter.MetricsAsync();
        var expected = IngestedBetween(tenant, Start - Settle, time.GetUtcNow() - Settle);
        Assert.True(expected.Count > 500, $"the scenario should have produced plenty of events; got {expected.Count}");
        // Every one of them was ingested minutes after it happened, most in a later cycle than the one it happened in.
        Assert.True(expected.Count(e => Math.Floor((e.IngestionTime - Start).TotalMinutes) > Math.Floor((e.ActivityDateTime - Start)
            .TotalMinutes)) > expected.Count / 2);
        Assert.Equal(Truth(expected).OrderBy(kv => kv.Key).ToList(), Counted(metrics).OrderBy(kv => kv.Key).ToList());

        var samples = MetricsText.Parse(metrics);
        // The demo's on-demand burst, its group updates, its slow app and its export-step failures are all in the truth.
        var detail = DetailTruth(expected);
        Assert.Contains(detail, d => d.StartsWith("initiator user ", StringComparison.Ordinal));
        Assert.Contains(detail, d => d.StartsWith("identity group ", StringComparison.Ordinal));
        Assert.Contains(detail, d => d.StartsWith("step ", StringComparison.Ordinal) && d.Contains(" export ", StringComparison.Ordinal));
        Assert.Equal(detail.Order(StringComparer.Ordinal), DetailCounted(samples).Order(StringComparer.Ordinal));
        Assert.Equal(expected.Count(e => e.Status == "failure"), samples.Named("entra_provisioning_event_errors_total").Sum(s => s.Value));
        Assert.Equal(1, samples.Named("entra_exporter_source_up").Single(s => s.Labels["source"] == "loganalytics").Value);
        Assert.Equal(Settle.TotalSeconds, samples.Named("entra_exporter_log_cursor_lag_seconds").Single().Value);
    }

    [Fact]
    public async Task A_partial_error_moves_no_counter_and_the_next_cycle_catches_up_exactly()
    {
        var time = new FakeTimeProvider(Start);
        var tenant = DemoScenario.Create(Start);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        await using var exporter = await ExporterHost.StartAsync(LogAnalyticsArgs(simulator, tenant), time);
        await exporter.WaitReadyAsync();
        for (var i = 0; i < 8; i++) await NextCycleAsync(time, exporter, "loganalytics");
        var before = Counted(await exporter.MetricsAsync());
        Assert.NotEmpty(before);

        // The next Log Analytics request (this cycle's increment query) gets a PartialError.
        simulator.Faults.Add(new FaultRule { Kind = FaultKind.PartialError, PathPattern = "^/workspaces/[^/]+/query$", InBatch = false,
            Times = 1 });
        await NextCycleAsync(time, exporter, "loganalytics");
        var during = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.Equal(before, Counted(await exporter.MetricsAsync()));
        Assert.True(IngestedBetween(tenant, Start - Settle, time.GetUtcNow() - Settle).Count > before.Values.Sum(),
            "events arrived that the partial result would have counted");
        Assert.Equal(0, during.Named("entra_exporter_source_up").Single(s => s.Labels["source"] == "loganalytics").Value);
        Assert.Equal(1,
            during.Named("entra_exporter_poll_errors_total")
            .Single(s => s.Labels["source"] == "loganalytics" && s.Labels["reason"] == "partial").Value);
        Assert.Equal(1, during.Named("entra_exporter_source_up").Single(s => s.Labels["source"] == "graph_jobs").Value);

        await NextCycleAsync(time, exporter, "loganalytics");
        var after = await exporter.MetricsAsync();
        Assert.Equal(Truth(IngestedBetween(tenant, Start - Settle, time.GetUtcNow() - Settle)).OrderBy(kv => kv.Key).ToList(),
            Counted(after).OrderBy(kv => kv.Key).ToList());
        Assert.Equal(1, MetricsText.Parse(after).Named("entra_exporter_source_up").Single(s => s.Labels["source"] == "loganalytics").Value);
    }

    [Fact]
    public async Task Window_and_last_event_are_right_from_the_first_cycle()
    {
        var time = new FakeTimeProvider(Start);
        var tenant = DemoScenario.Create(Start);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        await using var exporter = await ExporterHost.StartAsync(LogAnalyticsArgs(simulator, tenant), time);
        await exporter.WaitReadyAsync();

        var samples = MetricsText.Parse(await exporter.MetricsAsync());
        var box = tenant.ServicePrincipals.Single(sp => sp.DisplayName == "Box").Jobs[0].Id;
        var visible = tenant.Events(Start - TimeSpan.FromHours(1), Start).Where(e => e.JobId == box && e.IngestionTime <= Start).ToList();
        Assert.NotEmpty(visible);
        Assert.Equal(visible.Count(e => e.Status == "failure"),
            samples.Named("entra_provisioning_window_events").Single(s => s.Labels["job_id"] == box && s.Labels["status"] == "failure")
            .Value);
        var ratio = (double)visible.Count(e => e.Status == "failure") / visible.Count(e => e.Status is "success" or "failure" or "warning");
        Assert.Equal(ratio, samples.Named("entra_provisioning_window_failure_ratio").Single(s => s.Labels["job_id"] == box).Value, 9);
        Assert.Equal(visible.Max(e => e.ActivityDateTime).ToUnixTimeMilliseconds() / 1000.0,
            samples.Named("entra_provisioning_last_event_timestamp_seconds").Single(s => s.Labels["job_id"] == box).Value, 3);
        // Nothing counted before the first increment (history is not replayed), but every job's failure and deletion
        // counters already exist, at 0, so the first burst is seen by increase() and rate().
        var events = samples.Named("entra_provisioning_events_total").ToList();
        Assert.Equal(Demo.Jobs * 9, events.Count);
        Assert.All(events, e => Assert.Equal(0, e.Value));
        // The stalled app writes no log: no last-event series, and the job-status age tells its story instead.
        var zoom = tenant.ServicePrincipals.Single(sp => sp.DisplayName == "Zoom").Jobs[0].Id;
        Assert.DoesNotContain(samples.Named("entra_provisioning_last_event_timestamp_seconds"), s => s.Labels["job_id"] == zoom);
    }

    [Fact]
    public async Task Custom_queries_become_gauges_and_a_failing_one_does_not_stop_the_rest()
    {
        var time = new FakeTimeProvider(Start);
        var tenant = DemoScenario.Create(Start);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        const string kql = "AADProvisioningLogs | where ResultType == 'Failure' | summarize Failures = count() by AppName = "
            + "tostring(parse_json(ServicePrincipal).Name)";
        simulator.LogAnalytics(tenant.TenantId)
            .AddCannedQuery(kql, new CannedTable([("AppName", "string"), ("Failures", "long")], [["Box", 42L], ["Salesforce", 900L]]));
        await using var exporter = await ExporterHost.StartAsync(
        [
            .. LogAnalyticsArgs(simulator, tenant),
            "--Exporter:Tenants:0:Logs:CustomQueries:0:Name", "contoso_provisioning_failures_by_app",
            "--Exporter:Tenants:0:Logs:CustomQueries:0:Help", "Provisioning failures in the last hour by app.",
            "--Exporter:Tenants:0:Logs:CustomQueries:0:Query", kql,
            "--Exporter:Tenants:0:Logs:CustomQueries:0:ValueColumn", "Failures",
            "--Exporter:Tenants:0:Logs:CustomQueries:0:LabelColumns:0", "AppName",
            "--Exporter:Tenants:0:Logs:CustomQueries:1:Name", "contoso_unsupported",
            "--Exporter:Tenants:0:Logs:CustomQueries:1:Query", "AADProvisioningLogs | take 1",
            "--Exporter:Tenants:0:Logs:CustomQueries:1:ValueColumn", "x",
        ], time);
        await exporter.WaitReadyAsync();

        var text = await exporter.MetricsAsync();
        Assert.Contains("# HELP contoso_provisioning_failures_by_app Provisioning failures in the last hour by app.", text,
            StringComparison.Ordinal);
        var samples = MetricsText.Parse(text).Named("contoso_provisioning_failures_by_app").ToList();
        Assert.Equal(2, samples.Count);
        Assert.Equal(900, samples.Single(s => s.Labels["AppName"] == "Salesforce").Value);
        Assert.All(samples, s => Assert.Equal(tenant.TenantId, s.Labels["tenant_id"]));
        // The query the simulator does not understand fails the source with a reason; the built-in data is still there.
        var all = MetricsText.Parse(text);
        Assert.Equal(0, all.Named("entra_exporter_source_up").Single(s => s.Labels["source"] == "loganalytics").Value);
        Assert.Equal(1,
            all.Named("entra_exporter_poll_errors_total")
            .Single(s => s.Labels["source"] == "loganalytics" && s.Labels["reason"] == "client_error").Value);
        Assert.NotEmpty(all.Named("entra_provisioning_window_events"));
        Assert.DoesNotContain(all, s => s.Name == "contoso_unsupported");
    }

    [Fact]
    public async Task A_custom_query_added_by_a_reload_becomes_a_gauge_without_a_restart()
    {
        var time = new FakeTimeProvider(Start);
        var tenant = DemoScenario.Create(Start);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        const string kql = "AADProvisioningLogs | summarize Operations = count() by AppName = tostring(parse_json(ServicePrincipal).Name)";
        simulator.LogAnalytics(tenant.TenantId)
            .AddCannedQuery(kql, new CannedTable([("AppName", "string"), ("Operations", "long")], [["Box", 7L]]));
        var config = Path.Combine(Directory.CreateTempSubdirectory("custom-query-reload").FullName, "exporter.json");
        await File.WriteAllTextAsync(config, """{ "Exporter": { } }""");
        var logs = new CapturedLogs();
        await using var exporter = await ExporterHost.StartAsync(
            [.. LogAnalyticsArgs(simulator, tenant), "--ConfigFile", config, "--ConfigWatchInterval", "00:00:00",
                "--Logging:LogLevel:EntraProvisioningExporter.Hosting.ConfigurationReloader", "Information"], time,
            b => b.Logging.AddProvider(logs));
        await exporter.WaitReadyAsync();
        Assert.DoesNotContain("contoso_operations_by_app", MetricsText.FamilyNames(await exporter.MetricsAsync()));

        await File.WriteAllTextAsync(config, $$"""
            { "Exporter": { "Tenants": [ { "Logs": { "CustomQueries": [ { "Name": "contoso_operations_by_app",
              "Help": "Provisioning operations by app.", "Query": "{{kql}}", "ValueColumn": "Operations",
              "LabelColumns": [ "AppName" ] } ] } } ] } }
            """);
        var reloader = exporter.Reloader;
        Assert.True(await reloader.ReloadAsync("test"));
        var line = Assert.Single(logs.Lines, l => l.Contains("reload accepted", StringComparison.Ordinal));
        Assert.Contains("metric table: rebuilt with", line, StringComparison.Ordinal);
        Assert.DoesNotContain("read at start only", line, StringComparison.Ordinal);
        // The tenant's settings changed, so its sources restart, and the first cycle runs the new query.
        await Tools.Eventually(async () => MetricsText.Parse(await exporter.MetricsAsync()).Named("contoso_operations_by_app")
            .Any(s => s.Labels["AppName"] == "Box" && s.Value == 7), TimeSpan.FromSeconds(30), "the custom query's gauge");
        Assert.Contains("# HELP contoso_operations_by_app Provisioning operations by app.", await exporter.MetricsAsync(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Graph_source_keeps_within_its_request_budget_on_a_busy_tenant_and_counts_every_event_once()
    {
        var time = new SchedulingFakeTimeProvider(Start);
        var stopAt = Start + TimeSpan.FromMinutes(10);
        var tenant = BusyTenant(jobs: 60, stopAt);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        await using var exporter = await ExporterHost.StartAsync(
        [
            "--Exporter:Tenants:0:TenantId", tenant.TenantId,
            "--Exporter:Tenants:0:GraphEndpoint", simulator.GraphEndpoint(tenant.TenantId).ToString(),
            "--Exporter:Tenants:0:Credential:Kind", "None",
            "--Exporter:Tenants:0:Logs:Source", "Graph",
            "--Exporter:Logs:GraphPageSize", "100",
            "--Exporter:Logs:GraphOverlap", "00:05:00",
            "--Exporter:PollInterval", "00:01:00",
        ], time);

        var clock = new DiscreteEventClock(time, simulator, exporter, sources: 2);
        try
        {
            await Tools.Eventually(async () =>
            {
                var s = MetricsText.Parse(await exporter.MetricsAsync());
                var lag = s.Named("entra_exporter_log_cursor_lag_seconds").SingleOrDefault()?.Value;
                // The last runs log until stopAt + 5 min, and events show in Graph up to 3 min late.
                return time.GetUtcNow() > stopAt + TimeSpan.FromMinutes(12) && lag is < 60;
            }, TimeSpan.FromSeconds(120), "the Graph log source to catch up");
        }
        finally
        {
            await clock.DisposeAsync();
        }

        var samples = MetricsText.Parse(await exporter.MetricsAsync());
        // Every event after the exporter started (runs that began before stopAt still log for up to 5 minutes after it).
        var expected = tenant.Events(Start, stopAt + TimeSpan.FromMinutes(10)).ToList();
        Assert.InRange(expected.Count, 60 * 23, 2 * 60 * 23); // the hour of backfill before Start holds about six times as many
        Assert.Equal(Truth(expected).OrderBy(kv => kv.Key).ToList(), Counted(await exporter.MetricsAsync()).OrderBy(kv => kv.Key).ToList());
        Assert.Equal(DetailTruth(expected).Order(StringComparer.Ordinal), DetailCounted(samples).Order(StringComparer.Ordinal));
        var arrivals = simulator.Requests.Snapshot()
            .Where(r => r.PathAndQuery.StartsWith("/auditLogs/provisioning", StringComparison.Ordinal)).Select(r => r.At).Order().ToList();
        var cycles = samples.Named("entra_exporter_poll_duration_seconds_count")
            .Single(s => s.Labels["source"] == "graph_provisioning_logs").Value;
        Assert.True(samples.Named("entra_exporter_log_budget_exhausted_total").Single().Value >= 1,
            $"the backfill should have outrun the budget at least once, and said so ({arrivals.Count} requests in {cycles} cycles, "
                + $"first at {arrivals.FirstOrDefault():O}, last at {arrivals.LastOrDefault():O}; "
                + $"errors: {string.Join(", ", samples.Named("entra_exporter_poll_errors_total").Where(s => s.Value > 0)
                    .Select(s => s.Labels["source"] + "/" + s.Labels["reason"] + "=" + s.Value))})");

        Assert.True(arrivals.Count > 60, $"paging should have taken many requests; took {arrivals.Count}");
        var windows = arrivals.Select((t, i) => arrivals.Skip(i).TakeWhile(u => u < t + TimeSpan.FromSeconds(10)).ToList()).ToList();
        var worst = windows.MaxBy(w => w.Count)!;
        Assert.True(worst.Count <= 5,
            $"{worst.Count} requests to the reports endpoint within 10 s: " +
            $"{string.Join(", ", worst.Select(t => t.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)))} " +
            string.Join(" | ",
                simulator.Requests.Snapshot()
                .Where(r => r.At == worst[0] && r.PathAndQuery.StartsWith("/auditLogs", StringComparison.Ordinal))
                .Select(r => r.PathAndQuery)));
    }

    /// <summary>Many jobs logging a lot, with errors, until <paramref name="stopAt"/>; then silence, so the truth is fixed.</summary>
    private static SimulatedTenant BusyTenant(int jobs, DateTimeOffset stopAt)
    {
        var tenantId = SimulatedTenant.StableGuid("busy-tenant");
        var sps = Enumerable.Range(0, jobs).Select(i =>
        {
            var name = $"Busy app {i:D3}";
            var job = new SimulatedJob(SimulatedTenant.JobId("scim", tenantId + name), "scim", (_, _) => new JobView { Code = "Active" },
                new EventScript(Start - TimeSpan.FromDays(1) + TimeSpan.FromSeconds(37 * i), TimeSpan.FromMinutes(10),
                    TimeSpan.FromMinutes(5),
                    run => run >= stopAt ? [] :
                    [
                        new("update", "success", 20) { Initiator = i % 5 == 0 ? "user" : "system", Identity = i % 4 == 0 ? "Group" : "User",
                            DurationMs = 1000 + i },
                        new("update", "failure", 2, $"Code{i % 3}") { FailedStep = i % 2 == 0 ? "matching" : "referenceResolution" },
                        new("create", "failure", 1, "CodeX"),
                    ]));
            return new SimulatedServicePrincipal(SimulatedTenant.StableGuid(tenantId + name), SimulatedTenant.StableGuid("app:" + name),
                name, [job]);
        }).ToList();
        return new SimulatedTenant(tenantId, Start, sps);
    }

    [Theory]
    [InlineData("LogAnalytics", "loganalytics")]
    [InlineData("Graph", "graph_provisioning_logs")]
    public async Task Both_log_sources_count_the_current_cycles_deletes_against_the_threshold_as_the_simulator_logged_them(string logSource,
        string source)
    {
        var time = new SchedulingFakeTimeProvider(Start);
        var tenant = DemoScenario.Create(Start);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        string[] logs = logSource == "Graph"
            ? ["--Exporter:Tenants:0:Logs:Source", "Graph"]
            : ["--Exporter:Tenants:0:Logs:Source", "LogAnalytics", "--Exporter:Tenants:0:Logs:WorkspaceId", tenant.WorkspaceId,
               "--Exporter:Tenants:0:Logs:Endpoint", simulator.LogAnalyticsEndpoint(tenant.TenantId).ToString()];
        await using var exporter = await ExporterHost.StartAsync(
        [
            "--Exporter:Tenants:0:TenantId", tenant.TenantId,
            "--Exporter:Tenants:0:GraphEndpoint", simulator.GraphEndpoint(tenant.TenantId).ToString(),
            "--Exporter:Tenants:0:Credential:Kind", "None",
            .. logs,
            "--Exporter:PollInterval", "00:01:00",
        ], time);

        // 70 scenario minutes into the scoping change: its deletes and disables are done, its staged deletes climbing.
        // The clock stops there: a poll past it would see the staged deletes complete.
        var at = Start + TimeSpan.FromMinutes(70);
        var clock = new DiscreteEventClock(time, simulator, exporter, sources: 2, until: at);
        try
        {
            await Tools.Eventually(async () => time.GetUtcNow() >= at
                && MetricsText.Parse(await exporter.MetricsAsync()).Named("entra_exporter_log_cursor_lag_seconds").SingleOrDefault()?.Value
                    is < 120,
                TimeSpan.FromSeconds(120), "70 scenario minutes");
        }
        finally
        {
            await clock.DisposeAsync();
        }
        await Tools.Eventually(async () => await CyclesAsync(exporter, source) == clock.Ticks + 1, TimeSpan.FromSeconds(30),
            "the last cycle to finish");
        var now = time.GetUtcNow();
        var samples = MetricsText.Parse(await exporter.MetricsAsync());

        // Ground truth: the job's latest visible event in the window names the cycle; count that cycle's visible events.
        var sp = tenant.ServicePrincipals.Single(s => s.DisplayName == "Google Workspace");
        var job = sp.Jobs[0].Id;
        var cursor = DateTimeOffset.FromUnixTimeMilliseconds((long)(samples.Named("entra_exporter_log_cursor_timestamp_seconds").Single()
            .Value * 1000));
        var visible = tenant.Events(Start - TimeSpan.FromHours(1), now)
            .Where(e => e.JobId == job
                && (logSource == "Graph" ? e.GraphVisibleTime <= now && e.ActivityDateTime <= cursor : e.IngestionTime <= now)).ToList();
        var cycleId = visible.MaxBy(e => e.ActivityDateTime)!.CycleId;
        var cycle = visible.Where(e => e.CycleId == cycleId).ToList();
        long Count(string action) => cycle.Count(e => e.Action == action && (action == "stageddelete" || e.Status != "skipped"));
        Assert.Equal(300, Count("delete"));
        Assert.Equal(150, Count("disable"));
        Assert.InRange(Count("stageddelete"), 50, 250);

        double Deletions(string action) => samples.Named("entra_provisioning_current_cycle_deletions")
            .Single(s => s.Labels["job_id"] == job && s.Labels["action"] == action).Value;
        Assert.Equal((Count("delete"), Count("disable"), Count("stageddelete")),
            ((long)Deletions("delete"), (long)Deletions("disable"), (long)Deletions("stageddelete")));
        Assert.Equal(cycle.Min(e => e.ActivityDateTime).ToUnixTimeMilliseconds() / 1000.0,
            samples.Named("entra_provisioning_current_cycle_start_timestamp_seconds").Single(s => s.Labels["job_id"] == job).Value, 3);
        Assert.Equal(DemoScenario.ScopingDeleteThreshold,
            samples.Named("entra_provisioning_job_delete_threshold").Single(s => s.Labels["job_id"] == job).Value);
        Assert.Equal(450.0 / DemoScenario.ScopingDeleteThreshold,
            samples.Named("entra_provisioning_job_delete_threshold_proximity").Single(s => s.Labels["job_id"] == job).Value, 9);
        // Jobs with a threshold are the only ones with a proximity; the others' deletes are still shown per cycle.
        Assert.Single(samples.Named("entra_provisioning_job_delete_threshold_proximity"));
        Assert.Contains(samples.Named("entra_provisioning_current_cycle_deletions"), s => s.Labels["job_id"] != job && s.Value > 0);
    }
}
