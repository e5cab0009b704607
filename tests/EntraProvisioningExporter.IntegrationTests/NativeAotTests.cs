using System.Text.RegularExpressions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator.Scenario;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// The shipped native AOT binary (docker/publish.sh) on the production code path: it serves the demo, it serves the
/// JIT build's job and log series from the same simulated tenant, faults from Graph and Log Analytics are reported as
/// the fault matrix expects, and a token acquired through Azure.Identity (MSAL's managed-identity client, parsing a
/// real token response) reaches Graph. The process tests in StartupTests, HttpHardeningTests and OtlpTests run
/// against this binary as well.
/// </summary>
[LongRunning, Collection(nameof(NativeAotTests)), CollectionDefinition(nameof(NativeAotTests))]
public class NativeAotTests
{
    [Fact]
    public async Task The_binary_serves_the_demo_with_the_golden_files_families_and_the_jit_builds_series()
    {
        // The binary's own demo: the golden file's descriptors (HELP and TYPE of every family but the runtime's own) in the
        // golden file's order, in text that promtool, OpenMetrics and gzip clients accept.
        string demo;
        var port = Tools.FreePort();
        await using (var exporter = ManagedProcess.StartExporter(["--demo", "--urls", $"http://127.0.0.1:{port}"],
            build: ExporterBuild.Aot))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await Tools.Eventually(async () => SourcesUp(await http.GetStringAsync("metrics")) is [_, _, ..] up && up.All(v => v == 1),
                TimeSpan.FromSeconds(60), "every source of the aot demo up: " + exporter.Describe());
            demo = await http.GetStringAsync("metrics");
            var check = await Promtool.CheckMetricsAsync(Tools.Require("promtool"), demo);
            Assert.True(check.Ok, $"promtool check metrics on the AOT binary's output: {check.Output}");
            using var openMetrics = new HttpRequestMessage(HttpMethod.Get,
                "metrics") { Headers = { { "Accept", "application/openmetrics-text; version=1.0.0" } } };
            using var om = await http.SendAsync(openMetrics);
            Assert.StartsWith("application/openmetrics-text", om.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
            Assert.EndsWith("# EOF\n", await om.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var gzip = new HttpRequestMessage(HttpMethod.Get, "metrics") { Headers = { { "Accept-Encoding", "gzip" } } };
            using var gz = await http.SendAsync(gzip);
            Assert.Equal("gzip", Assert.Single(gz.Content.Headers.ContentEncoding));
            Assert.True(MetricsText.Parse(demo).Named("process_resident_memory_bytes").Single().Value > 0);
        }
        var golden = await File.ReadAllTextAsync(
            Repo.Path("tests", "EntraProvisioningExporter.IntegrationTests", "Golden", "metrics.txt"));
        Assert.Equal(Descriptors(golden), Descriptors(demo));

        // The same job and log series as the JIT build from the same inputs. Each --demo process runs its own scenario clock
        // from its own start, and counts the events ingested while it runs, so two of them agree only if they happen to poll
        // at the same scenario instants. Here both builds poll one demo tenant whose clock stands still at the scenario's
        // start: both read the very same jobs and logs, however long each takes to start or to poll. With no settle, an
        // exporter's event cursor starts after that instant, so neither counts an event the other could miss.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var scenario = DemoScenario.Create(time.GetUtcNow());
        var simulatorPort = Tools.FreePort();
        await using var simulator = await TestSimulator.StartAsync([scenario], time, simulatorPort, records: false);
        var simulatorUrl = $"http://127.0.0.1:{simulatorPort}";
        var served = new Dictionary<string, string>();
        foreach (var build in ExporterBuild.All)
        {
            port = Tools.FreePort();
            await using var exporter = ManagedProcess.StartExporter(
            [
                "--urls", $"http://127.0.0.1:{port}",
                "--Exporter:Tenants:0:TenantId", scenario.TenantId,
                "--Exporter:Tenants:0:GraphEndpoint", $"{simulatorUrl}/v1.0",
                "--Exporter:Tenants:0:Credential:Kind", "None",
                "--Exporter:Tenants:0:Logs:Source", "LogAnalytics",
                "--Exporter:Tenants:0:Logs:WorkspaceId", scenario.WorkspaceId,
                "--Exporter:Tenants:0:Logs:Endpoint", $"{simulatorUrl}/",
                "--Exporter:Logs:IngestionSettle", "00:00:00",
            ], build: build);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await Tools.Eventually(async () => SourcesUp(await http.GetStringAsync("metrics")) is [_, _, ..] up && up.All(v => v == 1),
                TimeSpan.FromSeconds(60), $"every source of the {build} exporter up: " + exporter.Describe());
            served[build.Name] = await http.GetStringAsync("metrics");
        }
        Assert.Equal(Descriptors(served["jit"]), Descriptors(served["aot"]));
        var series = ProvisioningSeries(served["jit"]);
        // Not an empty comparison: the jobs from Graph and every part of the logs (the event counters a known job starts at 0,
        // the trailing window, the current cycles).
        foreach (var family in new[] { "job_info", "events_total", "window_events", "current_cycle_deletions" })
            Assert.Contains(series, s => s.StartsWith($"entra_provisioning_{family}{{", StringComparison.Ordinal));
        Assert.Equal(series, ProvisioningSeries(served["aot"]));
    }

    public static TheoryData<string, FaultRule, string, string> FaultRows => new()
    {
        { "Graph 403", new FaultRule { Kind = FaultKind.Status, StatusCode = 403, ErrorCode = "Authorization_RequestDenied",
            ErrorMessage = "Insufficient privileges to complete the operation.", PathPattern = "^/\\$batch$", InBatch = false },
            "graph_jobs", "forbidden" },
        { "Graph truncated JSON", new FaultRule { Kind = FaultKind.TruncatedJson, PathPattern = "^/\\$batch$", InBatch = false },
            "graph_jobs", "bad_response" },
        { "Log Analytics PartialError", new FaultRule { Kind = FaultKind.PartialError, PathPattern = "^/workspaces/", InBatch = false },
            "loganalytics", "partial" },
    };

    [Theory]
    [MemberData(nameof(FaultRows))]
    public async Task A_fault_is_reported_by_the_binary_which_keeps_its_last_good_data_and_recovers(string name, FaultRule fault,
        string source, string reason)
    {
        await using var run = await SimulatedTenantRun.StartAsync(ExporterBuild.Aot, tenant =>
        [
            "--Exporter:Tenants:0:Credential:Kind", "None",
            "--Exporter:Tenants:0:Logs:Source", "LogAnalytics",
            "--Exporter:Tenants:0:Logs:WorkspaceId", tenant.WorkspaceId,
            "--Exporter:Tenants:0:Logs:Endpoint", $"{tenant.SimulatorUrl}/",
            "--Exporter:Logs:IngestionSettle", "00:00:00",
            "--Exporter:PollInterval", "00:00:02",
            "--Exporter:HttpMaxRetries", "0",
            "--Exporter:MaxBatchRetries", "0",
        ]);
        var (simulator, exporter, http) = (run.Simulator, run.Exporter, run.Http);
        async Task<IReadOnlyList<MetricsText.Sample>> Metrics() => MetricsText.Parse(await http.GetStringAsync("metrics"));
        async Task<double?> Value(string family, string? withReason = null) => (await Metrics()).Named(family)
            .Where(s => s.Labels["source"] == source && (withReason is null || s.Labels["reason"] == withReason))
                .Select(s => (double?)s.Value).SingleOrDefault();

        await Tools.Eventually(async () => await Value("entra_exporter_source_up") == 1, TimeSpan.FromSeconds(60),
            $"{source} up: " + exporter.Describe());
        var jobs = (await Metrics()).Named("entra_provisioning_job_info").Count();
        Assert.True(jobs > 0);

        simulator.Faults.Add(fault);
        await Tools.Eventually(async () => await Value("entra_exporter_source_up") == 0
            && await Value("entra_exporter_poll_errors_total", reason) > 0,
            TimeSpan.FromSeconds(30), $"{name}: {source} down with reason {reason}: " + exporter.Describe());
        Assert.Equal(jobs, (await Metrics()).Named("entra_provisioning_job_info").Count());

        simulator.Faults.Clear();
        await Tools.Eventually(async () => await Value("entra_exporter_source_up") == 1, TimeSpan.FromSeconds(30),
            $"{name}: {source} recovers");
        Assert.DoesNotContain("   at ", exporter.StandardOutput + exporter.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Metrics_are_served_while_discovery_still_waits_on_Graph(string build)
    {
        // Graph takes 20 s to list the service principals (within the request timeout): start-up must not wait for it. The
        // bound below is short of that and well beyond a start on a busy machine (other test classes run beside this one).
        var slowDiscovery = new FaultRule
        {
            Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(20), PathPattern = "^/servicePrincipals\\?", InBatch = false, Times = 1
        };
        // Timed from here, not from Process.StartTime: that is derived from the boot time and is seconds off on some VMs.
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var run = await SimulatedTenantRun.StartAsync(ExporterBuild.Named(build),
            _ => ["--Exporter:Tenants:0:Credential:Kind", "None"], fault: slowDiscovery);
        await Tools.Eventually(async () => (await run.Http.GetAsync("metrics")).IsSuccessStatusCode, TimeSpan.FromSeconds(30),
            "/metrics to answer: " + run.Exporter.Describe());
        var answeredAfter = started.Elapsed;
        var metrics = MetricsText.Parse(await run.Http.GetStringAsync("metrics"));
        Assert.True(answeredAfter < TimeSpan.FromSeconds(15),
            $"/metrics answered only {answeredAfter} after the exporter was started, once discovery was done");
        Assert.Empty(metrics.Named("entra_provisioning_job_info"));
        Assert.Contains(metrics.Named("entra_exporter_build_info"), _ => true);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await run.Http.GetAsync("readyz")).StatusCode);
        // Once Graph answers, the jobs follow, and the exporter is ready.
        await Tools.Eventually(async () => MetricsText.Parse(await run.Http.GetStringAsync("metrics")).Named("entra_provisioning_job_info")
            .Any(), TimeSpan.FromSeconds(60), "the jobs after the slow discovery");
    }

    private const string IdentityHeader = "identity-header-SECRET-5e1d";
    private const string AccessToken = "eyJ0eXAiOiJKV1QiLCJhbGciOi.MANAGED-IDENTITY-SECRET-TOKEN";

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task A_managed_identity_token_from_a_loopback_endpoint_is_acquired_through_Azure_Identity_and_sent_to_Graph(string build)
    {
        await using var identity = await ManagedIdentityEndpoint.StartAsync(IdentityHeader, AccessToken);
        await using var run = await SimulatedTenantRun.StartAsync(ExporterBuild.Named(build), _ =>
        [
            "--Exporter:Tenants:0:Credential:Kind", "ManagedIdentity",
            "--Exporter:Tenants:0:AllowTokenToLoopback", "true",
        ], identity.Environment);
        var (simulator, exporter, http) = (run.Simulator, run.Exporter, run.Http);

        await Tools.Eventually(async () => MetricsText.Parse(await http.GetStringAsync("metrics")).Named("entra_exporter_source_up")
            .SingleOrDefault(s => s.Labels["source"] == "graph_jobs")?.Value == 1,
            TimeSpan.FromSeconds(60), "graph_jobs up with a managed-identity token: " + exporter.Describe());
        Assert.True(identity.Requests.Any(q => Uri.UnescapeDataString(q)
            .Contains("resource=https://graph.microsoft.com", StringComparison.OrdinalIgnoreCase)),
            "token requests: " + string.Join(" ", identity.Requests));
        Assert.Contains($"Bearer {AccessToken}", simulator.AuthorizationHeaders);
        var everything = exporter.StandardOutput + exporter.StandardError + await http.GetStringAsync("metrics");
        Assert.DoesNotContain("SECRET-TOKEN", everything, StringComparison.Ordinal);
        Assert.DoesNotContain(IdentityHeader, everything, StringComparison.Ordinal);
    }

    private static List<double> SourcesUp(string metrics) => MetricsText.Parse(metrics).Named("entra_exporter_source_up")
        .Select(s => s.Value).ToList();

    private static List<string> Descriptors(string metrics) =>
        metrics.Split('\n')
            .Where(l => (l.StartsWith("# HELP ", StringComparison.Ordinal) || l.StartsWith("# TYPE ", StringComparison.Ordinal))
            && !Regex.IsMatch(l, "^# (HELP|TYPE) (process|dotnet)_")).ToList();

    /// <summary>Every job and log series by name and labels (the values are the moment's: timestamps and ages).</summary>
    private static List<string> ProvisioningSeries(string metrics) =>
        MetricsText.Parse(metrics).Where(s => s.Name.StartsWith("entra_provisioning_", StringComparison.Ordinal))
            .Select(s => s.Name + "{"
                + string.Join(",", s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}")
            .Order(StringComparer.Ordinal).ToList();
}
