using EntraProvisioningExporter.Hosting;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// Exporter:Metrics in a running exporter: refused when wrong, served without the left-out families, restart-only at reload.
/// </summary>
public class MetricSelectionProcessTests
{
    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task A_pattern_that_matches_no_family_stops_the_start_with_the_closest_names(string build)
    {
        await using var p = ManagedProcess.StartExporter(
            ["--demo", "--Exporter:Metrics:Exclude:0", "entra_provisioning_job_last_execution_*",
                "--Exporter:Metrics:Exclude:1", "entra_provisioning_job_staus",
             "--Exporter:Metrics:Include:0", "process_*"], build: ExporterBuild.Named(build));
        Assert.Equal(2, await p.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var err = p.StandardError;
        Assert.Contains("Exporter:Metrics: set Include or Exclude, not both", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:Metrics:Exclude:1: 'entra_provisioning_job_staus' matches no metric family; "
            + "closest: entra_provisioning_job_status,", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exporter:Metrics:Exclude:0", err, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Left_out_families_are_not_served_and_the_silenced_alerts_are_named_once_at_start(string build)
    {
        var port = Tools.FreePort();
        await using var p = ManagedProcess.StartExporter(
            ["--demo", "--urls", $"http://127.0.0.1:{port}",
             "--Exporter:Metrics:Exclude:0", "entra_provisioning_job_last_execution_*",
             "--Exporter:Metrics:Exclude:1", "entra_exporter_source_up",
             "--Exporter:Metrics:Exclude:2", "process_*"], build: ExporterBuild.Named(build));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () =>
        {
            try { return (await http.GetAsync("readyz")).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(90), "exporter ready: " + p.Describe());
        var text = await http.GetStringAsync("metrics");
        var names = MetricsText.FamilyNames(text);
        Assert.Contains("entra_provisioning_job_status", names);
        Assert.Contains("entra_exporter_source_last_success_timestamp_seconds", names);
        Assert.Contains("dotnet_total_memory_bytes", names);
        Assert.DoesNotContain(names,
            n => n.StartsWith("entra_provisioning_job_last_execution_", StringComparison.Ordinal)
            || n.StartsWith("process_", StringComparison.Ordinal));
        Assert.DoesNotContain("entra_exporter_source_up", names);
        await Tools.Eventually(() => Task.FromResult(p.StandardOutput.Contains("shipped alert(s) need", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the silenced-alert warning");
        var warnings = p.StandardOutput.Split('\n').Where(l => l.Contains("shipped alert(s) need", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("2 shipped alert(s) need, so they can never fire: "
            + "EntraProvisioningJobRunErrors "
            + "(needs entra_provisioning_job_last_execution_error, entra_provisioning_job_last_execution_state); "
            + "EntraExporterSourceDown (needs entra_exporter_source_up)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_that_changes_the_lists_serves_the_new_families_at_once_and_says_so()
    {
        var dir = Directory.CreateTempSubdirectory("metrics-reload").FullName;
        var config = Path.Combine(dir, "exporter.json");
        await File.WriteAllTextAsync(config,
            """{ "Exporter": { "Metrics": { "Exclude": [ "entra_provisioning_job_last_execution_*" ] } } }""");
        var logs = new CapturedLogs();
        await using var exporter = await ExporterHost.StartAsync(["--demo", "--ConfigFile", config, "--ConfigWatchInterval", "00:00:00",
            "--Logging:LogLevel:EntraProvisioningExporter.Hosting.ConfigurationReloader", "Information"],
                configure: b => b.Logging.AddProvider(logs));
        await exporter.WaitReadyAsync();
        var reloader = exporter.Reloader;
        var before = MetricsText.Parse(await exporter.MetricsAsync());
        var jobs = before.Named("entra_provisioning_job_info").Count();
        Assert.True(jobs > 0);
        Assert.DoesNotContain(before, s => s.Name.StartsWith("entra_provisioning_job_last_execution_", StringComparison.Ordinal));

        await File.WriteAllTextAsync(config, """{ "Exporter": { "Metrics": { "Exclude": [ "entra_provisioning_job_info" ] } } }""");
        Assert.True(await reloader.ReloadAsync("test"));
        var line = Assert.Single(logs.Lines, l => l.Contains("reload accepted", StringComparison.Ordinal));
        Assert.Contains("restarted with new settings: none;", line, StringComparison.Ordinal);
        Assert.Contains("; metric table: rebuilt with ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("read at start only", line, StringComparison.Ordinal);
        // Served at once from the published snapshots, before any tenant polls again: no job's series is missing.
        var after = MetricsText.Parse(await exporter.MetricsAsync());
        Assert.DoesNotContain(after, s => s.Name == "entra_provisioning_job_info");
        var executed = exporter.App.Services.GetRequiredService<TenantSnapshotStore>().All.SelectMany(t => t.JobList)
            .Count(j => j.LastExecution is not null);
        Assert.True(executed > 0);
        Assert.Equal(executed,
            after.Named("entra_provisioning_job_last_execution_state").Select(s => s.Labels["job_id"]).Distinct().Count());
        Assert.Equal(1, after.Named("entra_exporter_config_last_reload_successful").Single().Value);

        // A reload that keeps the lists keeps the table, and with it the exporter's own counters.
        Assert.True(await reloader.ReloadAsync("test"));
        Assert.Contains("metric table: unchanged", logs.Lines.Last(l => l.Contains("reload accepted", StringComparison.Ordinal)),
            StringComparison.Ordinal);

        // A list that does not validate refuses the reload, naming the key.
        await File.WriteAllTextAsync(config, """{ "Exporter": { "Metrics": { "Exclude": [ "entra_provisioning_job_inf" ] } } }""");
        Assert.False(await reloader.ReloadAsync("test"));
        Assert.Contains(logs.Lines,
            l => l.Contains("Configuration reload refused: Exporter:Metrics:Exclude:0: "
                + "'entra_provisioning_job_inf' matches no metric family", StringComparison.Ordinal));
    }
}
