using System.Text.Json;
using Azure.Core;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// Configuration reload without a restart, over real HTTP against two simulated tenants: a JSON file (ConfigFile)
/// and a directory of secrets (SecretsDirectory, as a mounted Kubernetes Secret), changed while the exporter runs.
/// </summary>
[LongRunning, Collection(nameof(ReloadTests)), CollectionDefinition(nameof(ReloadTests))]
public sealed class ReloadTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("entra-reload-").FullName;
    private string ConfigFile => Path.Combine(directory, "exporter.json");
    private string Secrets => Path.Combine(directory, "secrets");

    public ValueTask DisposeAsync()
    {
        Directory.Delete(directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>A token per client secret, so the simulator's Authorization headers show which secret is in use.</summary>
    private sealed class SecretDerivedCredential(string? secret) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new($"token-for-{secret}", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private static object TenantA(SimulatorServer simulator, SimulatedTenant a) => new Dictionary<string, object>
    {
        ["Name"] = "alpha", ["TenantId"] = a.TenantId, ["GraphEndpoint"] = simulator.GraphEndpoint(a.TenantId).ToString(),
        ["Credential"] = new { Kind = "None" },
        ["Logs"] = new
        {
            Source = "LogAnalytics", WorkspaceId = a.WorkspaceId, Endpoint = simulator.LogAnalyticsEndpoint(a.TenantId).ToString(),
        },
    };

    private static object TenantB(SimulatorServer simulator, SimulatedTenant b) => new Dictionary<string, object>
    {
        ["Name"] = "bravo", ["TenantId"] = b.TenantId, ["GraphEndpoint"] = simulator.GraphEndpoint(b.TenantId).ToString(),
        ["AllowTokenToLoopback"] = true,
        ["Credential"] = new { Kind = "ClientSecret", ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" },
    };

    private async Task WriteConfigAsync(string pollInterval, params object[] tenants) =>
        await File.WriteAllTextAsync(ConfigFile,
            JsonSerializer.Serialize(new { Exporter = new { PollInterval = pollInterval, Tenants = tenants } }));

    private static double Sum(IReadOnlyList<MetricsText.Sample> samples, string family, string tenant) =>
        samples.Named(family).Where(s => s.Labels.GetValueOrDefault("tenant_id") == tenant).Sum(s => s.Value);

    [Fact]
    public async Task Tenants_come_and_go_credentials_rotate_and_intervals_change_while_unchanged_tenants_keep_their_counters()
    {
        // Real time: the reload watches real files through the OS and settles bursts on the wall clock (ConfigurationReloader.Settle).
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        var a = DemoScenario.Create(time.GetUtcNow(), SimulatedTenant.StableGuid("reload-alpha"));
        var b = DemoScenario.Create(time.GetUtcNow(), SimulatedTenant.StableGuid("reload-bravo"));
        await using var simulator = await TestSimulator.StartAsync([a, b], time);
        Directory.CreateDirectory(Secrets);
        await WriteConfigAsync("00:00:02", TenantA(simulator, a));

        var logs = new CapturedLogs();
        await using var exporter = await ExporterHost.StartAsync(
            ["--ConfigFile", ConfigFile, "--SecretsDirectory", Secrets, "--Exporter:Logs:IngestionSettle", "00:00:00",
             "--Logging:LogLevel:EntraProvisioningExporter.Hosting.ConfigurationReloader", "Information"], time, builder =>
            {
                builder.Logging.AddProvider(logs);
                builder.Services.AddSingleton<CredentialFactory>(_ => tenant => tenant.Credential.Kind == "None" ? null
                    : new SecretDerivedCredential(tenant.Credential.ClientSecret));
            });
        await exporter.WaitReadyAsync();
        async Task<IReadOnlyList<MetricsText.Sample>> Metrics() => MetricsText.Parse(await exporter.MetricsAsync());
        double Value(IReadOnlyList<MetricsText.Sample> s, string family) => s.Named(family).Single().Value;

        var started = await Metrics();
        Assert.Equal(1, Value(started, "entra_exporter_config_last_reload_successful"));
        Assert.Equal(2, Value(started, "entra_exporter_poll_interval_seconds"));
        var loadedAt = Value(started, "entra_exporter_config_last_reload_success_timestamp_seconds");
        Assert.Equal(Demo.Jobs, started.Named("entra_provisioning_job_info").Count(s => s.Labels["tenant_id"] == a.TenantId));
        await Tools.Eventually(async () => Sum(await Metrics(), "entra_provisioning_events_total", a.TenantId) > 0,
            TimeSpan.FromSeconds(60), "alpha's first events counted");

        // 1. Add bravo (its secret read from the secrets directory) and change the interval.
        var before = (await Metrics()).Named("entra_provisioning_events_total").Where(s => s.Labels["tenant_id"] == a.TenantId)
            .ToDictionary(s => (s.Labels["job_id"], s.Labels["action"], s.Labels["status"]), s => s.Value);
        // The secret and the settings land together (within the reload's settling time), as a chart upgrade's would.
        await File.WriteAllTextAsync(Path.Combine(Secrets, "Exporter__Tenants__1__Credential__ClientSecret"), "first-secret");
        await WriteConfigAsync("00:00:03", TenantA(simulator, a), TenantB(simulator, b));
        await Tools.Eventually(async () => (await Metrics()).Named("entra_provisioning_job_info")
            .Count(s => s.Labels["tenant_id"] == b.TenantId) == Demo.Jobs
            && Value(await Metrics(), "entra_exporter_config_last_reload_successful") == 1, TimeSpan.FromSeconds(30),
                "bravo's jobs after the reload");
        var added = await Metrics();
        Assert.Equal(3, Value(added, "entra_exporter_poll_interval_seconds"));
        Assert.True(Value(added, "entra_exporter_config_last_reload_success_timestamp_seconds") > loadedAt);
        Assert.Equal(2, Value(added, "entra_exporter_configured_tenants"));
        Assert.Contains("Bearer token-for-first-secret", simulator.AuthorizationHeaders);
        // Alpha did not change: its counters went on from where they were (a rebuilt source would start again at 0).
        var after = added.Named("entra_provisioning_events_total").Where(s => s.Labels["tenant_id"] == a.TenantId)
            .ToDictionary(s => (s.Labels["job_id"], s.Labels["action"], s.Labels["status"]), s => s.Value);
        Assert.All(before, kv => Assert.True(after[kv.Key] >= kv.Value, $"{kv.Key} went from {kv.Value} to {after[kv.Key]}"));
        Assert.Contains(logs.Lines,
            l => l.Contains("Configuration reload accepted after a configuration file changed: tenants added: bravo; removed: none; "
                + "restarted with new settings: none", StringComparison.Ordinal));

        // 2. Rotate bravo's secret, as a Kubernetes Secret update does: the new one is used, bravo's series stay.
        var bravoCycles = Sum(added, "entra_exporter_poll_duration_seconds_count", b.TenantId);
        await File.WriteAllTextAsync(Path.Combine(Secrets, "Exporter__Tenants__1__Credential__ClientSecret"), "second-secret");
        await Tools.Eventually(() => Task.FromResult(simulator.AuthorizationHeaders.Contains("Bearer token-for-second-secret")),
            TimeSpan.FromSeconds(30), "requests with the rotated secret");
        var rotated = await Metrics();
        Assert.True(Sum(rotated, "entra_exporter_poll_duration_seconds_count", b.TenantId) >= bravoCycles, "bravo's sources were kept");
        Assert.Equal(Demo.Jobs, rotated.Named("entra_provisioning_job_info").Count(s => s.Labels["tenant_id"] == b.TenantId));

        // 3. An invalid configuration is refused, every problem logged with its key; both tenants keep being polled.
        var refusedAt = logs.Lines.Count;
        await File.WriteAllTextAsync(ConfigFile,
            JsonSerializer.Serialize(new { Exporter = new { PollInterval = "-00:00:05",
            Tenants = new object[] { new { TenantId = "contoso.onmicrosoft.com" } } } }));
        await Tools.Eventually(async () => Value(await Metrics(), "entra_exporter_config_last_reload_successful") == 0,
            TimeSpan.FromSeconds(30), "the refusal");
        var problems = logs.Lines.Skip(refusedAt).ToList();
        Assert.Contains(problems,
            l => l.Contains("Configuration reload refused: Exporter:PollInterval: must be a positive duration", StringComparison.Ordinal));
        Assert.Contains(problems,
            l => l.Contains("Configuration reload refused: Exporter:Tenants:0:TenantId: 'contoso.onmicrosoft.com' is not a GUID",
            StringComparison.Ordinal));
        var refused = await Metrics();
        Assert.Equal(3, Value(refused, "entra_exporter_poll_interval_seconds"));
        var alphaCycles = Sum(refused, "entra_exporter_poll_duration_seconds_count", a.TenantId);
        await Tools.Eventually(async () => Sum(await Metrics(), "entra_exporter_poll_duration_seconds_count", a.TenantId) > alphaCycles,
            TimeSpan.FromSeconds(30), "alpha polled on the last good configuration");

        // 4. Remove alpha: its series go, bravo's stay. Bravo is now tenant 0, and so is its secret's file name.
        File.Delete(Path.Combine(Secrets, "Exporter__Tenants__1__Credential__ClientSecret"));
        await File.WriteAllTextAsync(Path.Combine(Secrets, "Exporter__Tenants__0__Credential__ClientSecret"), "second-secret");
        await WriteConfigAsync("00:00:03", TenantB(simulator, b));
        await Tools.Eventually(async () => !(await Metrics()).Any(s => s.Labels.GetValueOrDefault("tenant_id") == a.TenantId),
            TimeSpan.FromSeconds(30),
            "alpha's series gone; left: "
                + string.Join(", ",
                (await Metrics()).Where(s => s.Labels.GetValueOrDefault("tenant_id") == a.TenantId).Select(s => s.Name).Distinct()));
        var removed = await Metrics();
        Assert.Equal(1, Value(removed, "entra_exporter_config_last_reload_successful"));
        Assert.Equal(Demo.Jobs, removed.Named("entra_provisioning_job_info").Count(s => s.Labels["tenant_id"] == b.TenantId));
        Assert.Equal(1, Value(removed, "entra_exporter_configured_tenants"));
        Assert.DoesNotContain(logs.Lines,
            l => l.Contains("first-secret", StringComparison.Ordinal) || l.Contains("second-secret", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task SIGHUP_reads_the_configuration_again_and_the_process_keeps_serving(string build)
    {
        await File.WriteAllTextAsync(ConfigFile, """{"Exporter":{"PollInterval":"00:00:20"}}""");
        var port = Tools.FreePort();
        await using var p = ManagedProcess.StartExporter(["--demo", "--urls", $"http://127.0.0.1:{port}", "--ConfigFile", ConfigFile],
            build: ExporterBuild.Named(build));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        async Task<double> Loaded() => MetricsText.Parse(await http.GetStringAsync("metrics"))
            .Named("entra_exporter_config_last_reload_success_timestamp_seconds").Single().Value;
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60),
            "ready: " + p.Describe());
        Assert.Equal(20,
            MetricsText.Parse(await http.GetStringAsync("metrics")).Named("entra_exporter_poll_interval_seconds").Single().Value);
        var first = await Loaded();

        System.Diagnostics.Process.Start("kill", ["-HUP", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await Tools.Eventually(() => Task.FromResult(p.StandardOutput.Contains("Configuration reload accepted after SIGHUP",
            StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "a reload after SIGHUP: " + p.Describe());
        Assert.True(await Loaded() >= first, "the reload timestamp moves on");
        Assert.Equal(1,
            MetricsText.Parse(await http.GetStringAsync("metrics")).Named("entra_exporter_config_last_reload_successful").Single().Value);
        Assert.True((await http.GetAsync("healthz")).IsSuccessStatusCode, "still serving after SIGHUP");
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Five_hundred_reloads_accepted_and_refused_leave_file_descriptors_and_threads_flat(string build)
    {
        // SIGHUP only (not watched), so each reload is one signal and one outcome line to wait for.
        await using var e = await ConfiguredExporter.StartAsync(build, ["--ConfigWatchInterval", "00:00:00", "--Demo:Tenants", "2"]);
        const int Reloads = 500, Warm = 50;
        var start = e.Resources();
        (int Descriptors, int Threads) warm = default;
        var outcomes = 0;
        var expectedAccepted = 0;
        for (var i = 1; i <= Reloads; i++)
        {
            if (i % 3 == 0) await File.WriteAllTextAsync(e.ConfigFile, """{"Exporter": {"PollInterval": """); // refused: malformed
            else if (i % 10 == 5) File.Delete(e.ConfigFile); // refused: missing
            else
            {
                // Accepted, with a setting every tenant's sources are built with changed: every tenant is rebuilt (new HTTP
                // clients, old ones disposed).
                expectedAccepted++;
                await File.WriteAllTextAsync(e.ConfigFile, JsonSerializer.Serialize(new
                {
                    Exporter = new { PollInterval = "00:00:20", RequestTimeout = $"00:00:{10 + i % 40}",
                        MetricsAuth = new { Mode = "Bearer", GracePeriod = "00:00:00" } },
                }));
            }
            e.Signal("HUP");
            outcomes++;
            await e.WaitForOutcomesAsync(outcomes);
            if (i == Warm) warm = e.Resources();
        }
        var end = e.Resources();
        var accepted = e.Lines.Count(l => l.Contains("Configuration reload accepted after SIGHUP", StringComparison.Ordinal));
        output.WriteLine($"{build}: {Reloads} reloads ({accepted} accepted, {Reloads - accepted} refused): "
            + $"file descriptors {start.Descriptors} at start, {warm.Descriptors} after {Warm}, {end.Descriptors} after {Reloads}; "
            + $"threads {start.Threads}, {warm.Threads}, {end.Threads}");
        Assert.Equal(expectedAccepted, accepted);
        Assert.False(e.Process.HasExited, e.Process.Describe());
        Assert.Equal((20, ConfiguredExporter.OldToken), await e.StateAsync());
        // A leak of one descriptor or thread per reload would be hundreds; what is left is connections and pool threads coming and going.
        Assert.InRange(end.Descriptors - warm.Descriptors, -25, 25);
        Assert.InRange(end.Threads - warm.Threads, -20, 20); // the thread pool grows and shrinks by itself on a busy machine
    }
}
