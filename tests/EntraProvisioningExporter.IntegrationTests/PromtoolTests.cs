using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The live /metrics output passes `promtool check metrics` (Prometheus 2.42) with no findings at all.</summary>
public class PromtoolTests
{
    [Fact]
    public async Task Live_metrics_pass_promtool_check_metrics_with_no_findings()
    {
        var promtool = Tools.Require("promtool");
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        await host.WaitReadyAsync();
        var text = await host.MetricsAsync();
        Assert.Contains("entra_provisioning_job_status{", text, StringComparison.Ordinal);

        var result = await Promtool.CheckMetricsAsync(promtool, text);
        Assert.True(result.Ok, $"promtool check metrics reported findings: {result.Output}");
    }

    [Fact]
    public async Task Golden_file_passes_promtool_check_metrics()
    {
        var promtool = Tools.Require("promtool");
        var golden = await File.ReadAllTextAsync(Repo.Path("tests", "EntraProvisioningExporter.IntegrationTests", "Golden", "metrics.txt"));
        var result = await Promtool.CheckMetricsAsync(promtool, golden);
        Assert.True(result.Ok, result.Output);
    }
}

/// <summary>Arbitrary tenant text (app names, quarantine reasons) through the exposition, parsed back by the real promtool.</summary>
public class ExpositionFuzzTests
{
    [Fact]
    public async Task Promtool_parses_output_with_arbitrary_label_values()
    {
        var random = new Random(2026);
        string Value()
        {
            var alphabet = new[] { "\"", "\\", "\n", "{", "}", "=", ",", " ", "é", "東京", "💥", "\u0001", "a", "#", "\\n", "\t" };
            return string.Concat(Enumerable.Range(0, random.Next(0, 10)).Select(_ => alphabet[random.Next(alphabet.Length)]));
        }
        var snapshots = new EntraProvisioningExporter.Sources.TenantSnapshotStore();
        var options = new EntraProvisioningExporter.Configuration.ExporterOptions();
        var exposition = new EntraProvisioningExporter.Exposition.PrometheusExposition(
            EntraProvisioningExporter.Metrics.MetricTable.Build(options), snapshots,
            new EntraProvisioningExporter.Configuration.RuntimeConfiguration(options,
                new EntraProvisioningExporter.Metrics.ExporterInfo("fuzz", options.PollInterval, 0, 1, 1, 1, true, DateTimeOffset.UtcNow)),
                TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EntraProvisioningExporter.Exposition.PrometheusExposition>.Instance);
        var states = Enumerable.Range(0, 200).Select(i => new EntraProvisioningExporter.Sources.Jobs.JobState
        {
            TenantId = "t", ServicePrincipalId = "sp" + i, JobId = "j" + i, AppName = Value(), TemplateId = Value(),
                StatusCode = i % 2 == 0 ? "Quarantine" : Value(),
            Quarantine = new EntraProvisioningExporter.Sources.Jobs.QuarantineState(Value(), null, null, null, null, null),
        }).ToList();
        snapshots.PublishJobs(new EntraProvisioningExporter.Sources.TenantJobSnapshot("t", states, DateTimeOffset.UtcNow));
        using var stream = new MemoryStream();
        await exposition.Registry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());

        var result = await Promtool.CheckMetricsAsync(Tools.Require("promtool"), text);
        Assert.True(result.Ok, result.Output);
        var info = MetricsText.Parse(text).Named("entra_provisioning_job_info")
            .ToDictionary(s => s.Labels["job_id"], s => s.Labels["app_name"]);
        Assert.Equal(200, info.Count);
        Assert.All(states, j => Assert.Equal(j.AppName, info[j.JobId]));
    }
}

public static class Promtool
{
    public static async Task<(bool Ok, string Output)> CheckMetricsAsync(string promtool, string exposition)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, exposition);
        try
        {
            await using var p = ManagedProcess.Start("/bin/sh", ["-c", $"\"{promtool}\" check metrics < \"{file}\""]);
            var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var output = p.StandardOutput + p.StandardError;
            return (exit == 0 && output.Trim().Length == 0, $"exit {exit}: {output}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
