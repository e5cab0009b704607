using System.Collections.Concurrent;
using System.Net;
using Azure.Core;
using Azure.Identity;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// The fault matrix: each row a fault injected at the simulator over real HTTP. During the fault the source's
/// up goes to 0 with the row's reason, the last good values stay (with their last-success time) and /readyz
/// stays ready; after it clears the source is up again by itself. No known secret ever appears in a log line
/// or in /metrics, and /metrics is protected by a bearer token throughout.
/// </summary>
[LongRunning, Collection(nameof(FaultMatrixTests)), CollectionDefinition(nameof(FaultMatrixTests))]
public class FaultMatrixTests
{
    private const string MetricsToken = "metrics-bearer-token-0123456789";
    private const string AccessToken = "eyJ0eXAiOiJKV1QiLCJhbGciOi.SECRET-ACCESS-TOKEN";
    private static readonly string[] Secrets = [MetricsToken, AccessToken, "SECRET-ACCESS-TOKEN", "KNOWN-CLIENT-SECRET-7f3a9c"];

    private sealed class Harness : IAsyncDisposable
    {
        public required SimulatorServer? Simulator { get; init; }
        public required ExporterHost Exporter { get; init; }
        public required CapturedLogs Logs { get; init; }
        public required SimulatedTenant Tenant { get; init; }

        public async Task<IReadOnlyList<MetricsText.Sample>> MetricsAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            request.Headers.Authorization = new("Bearer", MetricsToken);
            using var response = await Exporter.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var text = await response.Content.ReadAsStringAsync();
            AssertNoSecret(text, "/metrics");
            return MetricsText.Parse(text);
        }

        public async Task<double?> ValueAsync(string name, string source, string? reason = null) =>
            (await MetricsAsync()).Named(name)
                .Where(s => s.Labels.GetValueOrDefault("source") == source && (reason is null || s.Labels["reason"] == reason))
                .Select(s => (double?)s.Value).SingleOrDefault();

        public void AssertNoSecretInLogs()
        {
            Assert.NotEmpty(Logs.Lines);
            foreach (var line in Logs.Lines) AssertNoSecret(line, "a log line");
        }

        public async ValueTask DisposeAsync()
        {
            await Exporter.DisposeAsync();
            if (Simulator is not null) await Simulator.DisposeAsync();
        }
    }

    private static void AssertNoSecret(string text, string where)
    {
        foreach (var secret in Secrets)
            Assert.False(text.Contains(secret, StringComparison.Ordinal),
                $"a secret appeared in {where}: …{text[Math.Max(0, text.IndexOf(secret, StringComparison.Ordinal) - 80)..]}");
    }

    /// <summary>A credential that hands out a token per "generation", or throws, as a test decides.</summary>
    private sealed class ScriptedCredential : TokenCredential
    {
        public int Generation = 1;
        public bool Fail;
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => Next();
        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
            => ValueTask.FromResult(Next());
        private AccessToken Next() => Fail
            ? throw new AuthenticationFailedException("ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret "
                + "provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
            : new AccessToken($"{AccessToken}-{Generation}", DateTimeOffset.UtcNow.AddMinutes(5));
    }

    private static async Task<Harness> StartAsync(string[] extraArgs, ScriptedCredential? credential = null, SimulatedTenant? tenant = null,
        int? simulatorPort = null, bool startSimulator = true)
    {
        // Real time: the SDKs' own retries (Kiota's RetryHandler, Azure.Core) and HttpClient timeouts wait on the wall clock.
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        tenant ??= DemoScenario.Create(time.GetUtcNow());
        var port = simulatorPort ?? Tools.FreePort();
        SimulatorServer? simulator = startSimulator ? await TestSimulator.StartAsync([tenant], time, port) : null;
        var logs = new CapturedLogs();
        string[] args =
        [
            "--Exporter:Tenants:0:TenantId", tenant.TenantId,
            "--Exporter:Tenants:0:GraphEndpoint", $"http://127.0.0.1:{port}/v1.0",
            "--Exporter:Tenants:0:Credential:Kind", credential is null ? "None" : "ClientSecret",
            "--Exporter:PollInterval", "00:00:04", // cycles time out after 3.6 s: room for one Retry-After of 1 s
            "--Exporter:HttpMaxRetries", "1",
            "--Exporter:HttpRetryDelay", "00:00:01",
            "--Exporter:MaxBatchRetries", "1",
            "--Exporter:MetricsAuth:Mode", "Bearer",
            "--Exporter:MetricsAuth:BearerToken", MetricsToken,
            .. credential is null ? Array.Empty<string>() :
            [
                "--Exporter:Tenants:0:AllowTokenToLoopback", "true",
                "--Exporter:Tenants:0:Credential:ClientId", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "--Exporter:Tenants:0:Credential:ClientSecret", "KNOWN-CLIENT-SECRET-7f3a9c",
            ],
            .. extraArgs,
        ];
        var exporter = await ExporterHost.StartAsync(args, time, builder =>
        {
            builder.Logging.AddProvider(logs);
            if (credential is not null) builder.Services.AddSingleton<CredentialFactory>(_ => credential);
        });
        return new Harness { Simulator = simulator!, Exporter = exporter, Logs = logs, Tenant = tenant };
    }

    private static string[] LogAnalytics(SimulatedTenant tenant, int port) =>
    [
        "--Exporter:Tenants:0:Logs:Source", "LogAnalytics",
        "--Exporter:Tenants:0:Logs:WorkspaceId", tenant.WorkspaceId,
        "--Exporter:Tenants:0:Logs:Endpoint", $"http://127.0.0.1:{port}/",
        "--Exporter:Logs:ServerTimeout", "00:00:01",
        "--Exporter:Logs:IngestionSettle", "00:00:00",
    ];

    /// <summary>Graph throttling, or failing with a server error.</summary>
    public static TheoryData<string, FaultRule, string, string, string[]> GraphStatusRows => new()
    {
        { "429 with Retry-After on $batch",
            new FaultRule { Kind = FaultKind.Throttle, PathPattern = "^/\\$batch$", InBatch = false, RetryAfterSeconds = 1 }, "graph_jobs",
            "throttled", [] },
        { "429 inside $batch",
            new FaultRule { Kind = FaultKind.Throttle, PathPattern = "synchronization/jobs$", TopLevel = false, RetryAfterSeconds = 1 },
            "graph_jobs", "throttled", [] },
        { "503", new FaultRule { Kind = FaultKind.Status, StatusCode = 503, PathPattern = "^/\\$batch$", InBatch = false }, "graph_jobs",
            "server_error", [] },
        { "504", new FaultRule { Kind = FaultKind.Status, StatusCode = 504, PathPattern = "^/\\$batch$", InBatch = false }, "graph_jobs",
            "server_error", [] },
    };

    /// <summary>Graph refusing the token, or the permission.</summary>
    public static TheoryData<string, FaultRule, string, string, string[]> GraphRefusalRows => new()
    {
        { "401", new FaultRule { Kind = FaultKind.Status, StatusCode = 401, ErrorCode = "InvalidAuthenticationToken",
            ErrorMessage = "Access token has expired or is not yet valid.", PathPattern = "^/\\$batch$", InBatch = false }, "graph_jobs",
            "auth", [] },
        { "403", new FaultRule { Kind = FaultKind.Status, StatusCode = 403, ErrorCode = "Authorization_RequestDenied",
            ErrorMessage = "Insufficient privileges to complete the operation. Synchronization.Read.All is required.",
            PathPattern = "^/\\$batch$", InBatch = false }, "graph_jobs", "forbidden", [] },
    };

    /// <summary>Graph answering too slowly, or with a body the exporter cannot read.</summary>
    public static TheoryData<string, FaultRule, string, string, string[]> GraphBodyRows => new()
    {
        { "slow past the timeout",
            new FaultRule { Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(10), PathPattern = "^/\\$batch$", InBatch = false },
            "graph_jobs", "timeout", [] },
        { "truncated JSON", new FaultRule { Kind = FaultKind.TruncatedJson, PathPattern = "^/\\$batch$", InBatch = false }, "graph_jobs",
            "bad_response", [] },
        { "not JSON", new FaultRule { Kind = FaultKind.NotJson, PathPattern = "^/\\$batch$", InBatch = false }, "graph_jobs",
            "bad_response", [] },
        { "a page link that loops",
            new FaultRule { Kind = FaultKind.LoopingNextLink, PathPattern = "^/servicePrincipals\\?", InBatch = false }, "graph_jobs",
            "bad_response", ["--Exporter:DiscoveryInterval", "00:00:04"] },
    };

    /// <summary>Log Analytics answering with a partial error, throttling, too slowly or with a table of another shape.</summary>
    public static TheoryData<string, FaultRule, string, string, string[]> LogAnalyticsRows => new()
    {
        { "Log Analytics PartialError", new FaultRule { Kind = FaultKind.PartialError, PathPattern = "^/workspaces/", InBatch = false },
            "loganalytics", "partial", ["logs"] },
        { "Log Analytics 429",
            new FaultRule { Kind = FaultKind.Throttle, PathPattern = "^/workspaces/", InBatch = false, RetryAfterSeconds = 1 },
            "loganalytics", "throttled", ["logs"] },
        { "Log Analytics query timeout",
            new FaultRule { Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(10), PathPattern = "^/workspaces/", InBatch = false },
            "loganalytics", "timeout", ["logs"] },
        { "Log Analytics unexpected table shape",
            new FaultRule { Kind = FaultKind.Body,
            Body = "{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[{\"name\":\"X\",\"type\":\"string\"}],\"rows\":[[\"a\"]]}]}",
            PathPattern = "^/workspaces/", InBatch = false }, "loganalytics", "bad_response", ["logs"] },
    };

    /// <summary>One row of the matrix (run by the classes of FaultMatrixRowTests.cs, a group of rows each).</summary>
    internal static async Task FaultRowAsync(string name, FaultRule fault, string source, string reason, string[] extra)
    {
        var port = Tools.FreePort();
        var tenant = DemoScenario.Create(DateTimeOffset.UtcNow);
        var args = extra.Contains("logs") ? LogAnalytics(tenant, port).Concat(extra.Where(e => e != "logs")).ToArray() : extra;
        // Graph rows run with a client secret in the configuration and a bearer token on every request, so the
        // scan below covers them under every fault. Azure.Core refuses bearer tokens over plain HTTP, so the Log
        // Analytics rows talk to the loopback simulator without one (the metrics token is still scanned for).
        var credential = source == "graph_jobs" ? new ScriptedCredential() : null;
        await using var h = await StartAsync(args, credential, tenant, port);
        await h.Exporter.WaitReadyAsync();
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_source_up", source) == 1, TimeSpan.FromSeconds(30),
            $"{source} up before the fault");
        var before = await h.MetricsAsync();
        var jobs = before.Named("entra_provisioning_job_info").Count();
        var lastSuccess = before.Named("entra_exporter_source_last_success_timestamp_seconds").Single(s => s.Labels["source"] == source)
            .Value;
        var errorsBefore = await h.ValueAsync("entra_exporter_poll_errors_total", source, reason) ?? 0;

        h.Simulator!.Faults.Add(fault);
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_source_up", source) == 0, TimeSpan.FromSeconds(40),
            $"{name}: {source} down");
        try
        {
            await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_poll_errors_total", source, reason) > errorsBefore,
                TimeSpan.FromSeconds(40), $"{name}: reason {reason}");
        }
        catch (TimeoutException ex)
        {
            var counted = (await h.MetricsAsync()).Named("entra_exporter_poll_errors_total").Where(x => x.Value > 0)
                .Select(x => $"{x.Labels["source"]}/{x.Labels["reason"]}={x.Value}");
            throw new TimeoutException($"{ex.Message}; counted instead: {string.Join(", ", counted)}; log: "
                + $"{h.Logs.Lines.LastOrDefault(l => l.Contains("failed", StringComparison.Ordinal))}");
        }

        // A cycle already under way when the fault was installed may still have succeeded; from here on every
        // cycle fails, and across another failing cycle the last good values and their time stay as they were.
        double LastSuccess(IReadOnlyList<MetricsText.Sample> m) => m.Named("entra_exporter_source_last_success_timestamp_seconds")
            .Single(x => x.Labels["source"] == source).Value;
        var during = await h.MetricsAsync();
        var frozen = LastSuccess(during);
        Assert.True(frozen >= lastSuccess);
        var errorsDuring = await h.ValueAsync("entra_exporter_poll_errors_total", source, reason);
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_poll_errors_total", source, reason) > errorsDuring,
            TimeSpan.FromSeconds(40), $"{name}: another failing cycle");
        var later = await h.MetricsAsync();
        Assert.Equal(frozen, LastSuccess(later));
        Assert.Equal(jobs, later.Named("entra_provisioning_job_info").Count());
        Assert.Equal(0, later.Named("entra_exporter_source_up").Single(x => x.Labels["source"] == source).Value);
        Assert.Equal(HttpStatusCode.OK, (await h.Exporter.Http.GetAsync("/readyz")).StatusCode);

        if (reason == "forbidden")
            Assert.Contains(h.Logs.Lines,
                l => l.Contains("(forbidden)", StringComparison.Ordinal)
                && l.Contains("Authorization_RequestDenied", StringComparison.Ordinal)
                && l.Contains("Synchronization.Read.All", StringComparison.Ordinal));

        h.Simulator!.Faults.Clear();
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_source_up", source) == 1, TimeSpan.FromSeconds(40),
            $"{name}: {source} recovers by itself");
        if (credential is not null)
            Assert.Contains(h.Simulator!.AuthorizationHeaders, a => a.StartsWith($"Bearer {AccessToken}", StringComparison.Ordinal));
        Assert.True(LastSuccess(await h.MetricsAsync()) > frozen);
        h.AssertNoSecretInLogs();
    }

    [Fact]
    public async Task A_throttled_tenant_is_not_hammered()
    {
        await using var h = await StartAsync([]);
        await h.Exporter.WaitReadyAsync();
        async Task<double> Cycles() => (await h.MetricsAsync()).Named("entra_exporter_poll_duration_seconds_count").Single().Value;
        h.Simulator!.Requests.Clear();
        var before = await Cycles();
        h.Simulator!.Faults.Add(new FaultRule { Kind = FaultKind.Throttle, PathPattern = "^/\\$batch$", InBatch = false,
            RetryAfterSeconds = 1 });
        // Real time is what is measured: Kiota's RetryHandler waits Retry-After on the wall clock (it takes no TimeProvider).
        await Task.Delay(TimeSpan.FromSeconds(12));
        var cycles = await Cycles() - before + 1; // the cycle in flight too
        var batches = h.Simulator!.Requests.Snapshot().Count(r => r.PathAndQuery == "/$batch");
        // One batch per cycle (the demo's service principals with jobs fit in one), each tried at most HttpMaxRetries + 1 = 2 times,
        // and never sooner than Retry-After: the tenant sees at most two requests per cycle.
        Assert.InRange(batches, 2, (int)(2 * cycles));
        var arrivals = h.Simulator!.Requests.Snapshot().Where(r => r.PathAndQuery == "/$batch").Select(r => r.At).Order().ToList();
        Assert.All(arrivals.Zip(arrivals.Skip(1)),
            pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromSeconds(0.9), "a retry came sooner than Retry-After"));
    }

    [Fact]
    public async Task Connection_refused_is_a_network_failure_and_the_source_comes_up_when_Graph_does()
    {
        var port = Tools.FreePort();
        var tenant = DemoScenario.Create(DateTimeOffset.UtcNow);
        await using var h = await StartAsync([], tenant: tenant, simulatorPort: port, startSimulator: false);
        await h.Exporter.WaitReadyAsync(); // ready: the first cycle finished, unsuccessfully
        Assert.Equal(0, await h.ValueAsync("entra_exporter_source_up", "graph_jobs"));
        Assert.True(await h.ValueAsync("entra_exporter_poll_errors_total", "graph_jobs", "network") >= 1);
        Assert.Empty((await h.MetricsAsync()).Named("entra_exporter_source_last_success_timestamp_seconds"));

        await using var simulator = await TestSimulator.StartAsync([tenant], new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1), port);
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_source_up", "graph_jobs") == 1, TimeSpan.FromSeconds(30),
            "recovery once Graph listens");
        Assert.Equal(Demo.Jobs, (await h.MetricsAsync()).Named("entra_provisioning_job_info").Count());
        h.AssertNoSecretInLogs();
    }

    [Fact]
    public async Task Token_acquisition_failure_and_a_token_expiring_mid_run_are_auth_failures_that_recover()
    {
        var credential = new ScriptedCredential();
        var tenant = DemoScenario.Create(DateTimeOffset.UtcNow);
        var port = Tools.FreePort();
        await using var h = await StartAsync([], credential, tenant, port);
        h.Simulator!.AcceptedBearerTokens = new ConcurrentDictionary<string, bool> { [$"{AccessToken}-1"] = true };
        await h.Exporter.WaitReadyAsync();
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_source_up", "graph_jobs") == 1, TimeSpan.FromSeconds(30),
            "up with token 1");

        // Token acquisition throws.
        credential.Fail = true;
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_poll_errors_total", "graph_jobs", "auth") >= 1,
            TimeSpan.FromSeconds(30), "auth failure");
        Assert.Equal(0, await h.ValueAsync("entra_exporter_source_up", "graph_jobs"));
        credential.Fail = false;
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_source_up", "graph_jobs") == 1, TimeSpan.FromSeconds(30),
            "recovery after token acquisition works again");

        // The token expires mid-run: Graph answers 401 until a new one is issued.
        var authErrors = await h.ValueAsync("entra_exporter_poll_errors_total", "graph_jobs", "auth");
        h.Simulator!.AcceptedBearerTokens = new ConcurrentDictionary<string, bool> { [$"{AccessToken}-2"] = true };
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_poll_errors_total", "graph_jobs", "auth") > authErrors,
            TimeSpan.FromSeconds(30), "401 with the expired token");
        Assert.Equal(0, await h.ValueAsync("entra_exporter_source_up", "graph_jobs"));
        Assert.Equal(Demo.Jobs, (await h.MetricsAsync()).Named("entra_provisioning_job_info").Count());
        credential.Generation = 2;
        await Tools.Eventually(async () => await h.ValueAsync("entra_exporter_source_up", "graph_jobs") == 1, TimeSpan.FromSeconds(30),
            "recovery with the new token");

        // The token went only where this tenant allowed it (its loopback Graph), and never to a log or /metrics.
        Assert.Contains(h.Simulator!.AuthorizationHeaders, a => a == $"Bearer {AccessToken}-2");
        h.AssertNoSecretInLogs();
        Assert.Contains(h.Logs.Lines,
            l => l.Contains("(auth)", StringComparison.Ordinal) && l.Contains("AADSTS7000215", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_real_client_secret_credential_that_cannot_get_a_token_reports_auth_and_never_logs_the_secret()
    {
        var tenant = DemoScenario.Create(DateTimeOffset.UtcNow);
        var port = Tools.FreePort();
        // The real Azure.Identity ClientSecretCredential: login.microsoftonline.com is unreachable here, so it throws.
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        await using var simulator = await TestSimulator.StartAsync([tenant], time, port);
        var logs = new CapturedLogs();
        await using var exporter = await ExporterHost.StartAsync(
        [
            "--Exporter:Tenants:0:TenantId", tenant.TenantId,
            "--Exporter:Tenants:0:GraphEndpoint", $"http://127.0.0.1:{port}/v1.0",
            "--Exporter:Tenants:0:AllowTokenToLoopback", "true",
            "--Exporter:Tenants:0:Credential:Kind", "ClientSecret",
            "--Exporter:Tenants:0:Credential:ClientId", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "--Exporter:Tenants:0:Credential:ClientSecret", "KNOWN-CLIENT-SECRET-7f3a9c",
        ], time, b => b.Logging.AddProvider(logs));
        await exporter.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var samples = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.Equal(0, samples.Named("entra_exporter_source_up").Single().Value);
        Assert.Equal(1, samples.Named("entra_exporter_poll_errors_total").Single(s => s.Labels["reason"] == "auth").Value);
        Assert.Empty(simulator.AuthorizationHeaders); // no token, nothing sent
        foreach (var line in logs.Lines) AssertNoSecret(line, "a log line");
        Assert.Contains(logs.Lines, l => l.Contains("Token acquisition failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task One_failing_tenant_does_not_disturb_another()
    {
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        var good = DemoScenario.Create(time.GetUtcNow());
        var bad = DemoScenario.Create(time.GetUtcNow(), SimulatedTenant.StableGuid("the other tenant"));
        await using var simulator = await TestSimulator.StartAsync([good, bad], time);
        simulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, TenantId = bad.TenantId });
        await using var exporter = await ExporterHost.StartAsync(
        [
            "--Exporter:Tenants:0:TenantId", good.TenantId, "--Exporter:Tenants:0:GraphEndpoint",
                simulator.GraphEndpoint(good.TenantId).ToString(), "--Exporter:Tenants:0:Credential:Kind", "None",
            "--Exporter:Tenants:1:TenantId", bad.TenantId, "--Exporter:Tenants:1:GraphEndpoint",
                simulator.GraphEndpoint(bad.TenantId).ToString(), "--Exporter:Tenants:1:Credential:Kind", "None",
            "--Exporter:PollInterval", "00:00:02", "--Exporter:HttpMaxRetries", "1", "--Exporter:HttpRetryDelay", "00:00:01",
        ], time);
        await exporter.WaitReadyAsync();
        await Tools.Eventually(async () => MetricsText.Parse(await exporter.MetricsAsync())
            .Named("entra_exporter_poll_duration_seconds_count").All(s => s.Value >= 3), TimeSpan.FromSeconds(40),
            "three cycles of each tenant");
        var samples = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.Equal(1, samples.Named("entra_exporter_source_up").Single(s => s.Labels["tenant_id"] == good.TenantId).Value);
        Assert.Equal(0, samples.Named("entra_exporter_source_up").Single(s => s.Labels["tenant_id"] == bad.TenantId).Value);
        Assert.Equal(Demo.Jobs, samples.Named("entra_provisioning_job_info").Count(s => s.Labels["tenant_id"] == good.TenantId));
        Assert.DoesNotContain(samples.Named("entra_provisioning_job_info"), s => s.Labels["tenant_id"] == bad.TenantId);
        var lastGood = samples.Named("entra_exporter_source_last_success_timestamp_seconds")
            .Single(s => s.Labels["tenant_id"] == good.TenantId).Value;
        Assert.True(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - lastGood < 10, "the good tenant keeps polling on time");
    }

    [Fact]
    public async Task Unexpected_shapes_are_mapped_and_one_bad_job_does_not_drop_the_others()
    {
        await using var h = await StartAsync([]);
        await h.Exporter.WaitReadyAsync();
        var slack = h.Tenant.ServicePrincipals.Single(sp => sp.DisplayName == "Slack");
        // Missing fields, nulls everywhere, new enum values, a job that is not an object, a job with a bad number.
        h.Simulator!.Faults.Add(new FaultRule
        {
            Kind = FaultKind.Body, TopLevel = false, PathPattern = $"/servicePrincipals/{slack.Id}/synchronization/jobs$",
            Body = """{"value":[{"id":"slack.new.1","templateId":null,"schedule":null,"status":"""
                + """{"code":"Throttled","quarantine":"""
                + """{"reason":"EncounteredSomethingNew","seriesBegan":"","currentBegan":null},"lastExecution":"""
                + """null,"synchronizedEntryCountByType":null}},"""
                + """{"id":"slack.bad.2","status":{"countSuccessiveCompleteFailures":"many"}},"not-a-job",{"id":"slack.min.3"}]}""",
        });
        await Tools.Eventually(async () => (await h.MetricsAsync()).Named("entra_provisioning_job_info")
            .Any(s => s.Labels["job_id"] == "slack.new.1"), TimeSpan.FromSeconds(30), "the odd payload mapped");
        var samples = await h.MetricsAsync();
        Assert.Equal(1,
            samples.Named("entra_provisioning_job_status")
            .Single(s => s.Labels["job_id"] == "slack.new.1" && s.Labels["code"] == "Throttled").Value);
        Assert.Equal(1,
            samples.Named("entra_provisioning_job_status").Single(s => s.Labels["job_id"] == "slack.min.3" && s.Labels["code"] == "Unknown")
            .Value);
        // The other jobs (all but Slack's one) and the three odd ones that are objects with an id; "many" is not a
        // number, so that job's failure count is absent (the SDK reads it as null), not a wrong number.
        Assert.Equal(Demo.Jobs - 1 + 3, samples.Named("entra_provisioning_job_info").Count());
        Assert.DoesNotContain(samples.Named("entra_provisioning_job_successive_complete_failures"),
            s => s.Labels["job_id"] == "slack.bad.2");
        // The job that is not an object is dropped and counted; the source stays up for everything else.
        Assert.True(await h.ValueAsync("entra_exporter_dropped_objects_total", "graph_jobs", "invalid") >= 1,
            "the job that is not an object is counted");
        Assert.Equal(0, await h.ValueAsync("entra_exporter_poll_errors_total", "graph_jobs", "bad_response"));
        Assert.Contains(h.Logs.Lines,
            l => l.Contains($"dropped {slack.Id} (invalid)", StringComparison.Ordinal)); // named by its service principal
    }
}
