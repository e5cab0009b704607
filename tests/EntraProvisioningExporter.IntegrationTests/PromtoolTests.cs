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
