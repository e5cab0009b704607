using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// The whole /metrics output of the demo scenario at fixed instants, over real HTTP end to end (simulator →
/// Graph SDK / Log Analytics client → snapshots → instruments → OpenTelemetry → serializer), compared with
/// Golden/metrics.txt.
/// Regenerate after an intended change with:
///   UPDATE_GOLDEN=1 dotnet test tests/EntraProvisioningExporter.IntegrationTests --filter "FullyQualifiedName~GoldenFile"
/// </summary>
public class GoldenFileTests
{
    public static readonly DateTimeOffset FixedNow = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string GoldenSource = Repo.Path("tests", "EntraProvisioningExporter.IntegrationTests", "Golden", "metrics.txt");

    public static async Task<string> RenderDemoAtFixedTimeAsync(TimeSpan elapsed)
    {
        var time = new SchedulingFakeTimeProvider(FixedNow);
        await using var host = await ExporterHost.StartAsync(["--demo"], time);
        await host.WaitReadyAsync();
        if (elapsed > TimeSpan.Zero)
        {
            // Scenario time moves; the next poll of every source sees it (one tick, however many intervals passed).
            time.Jump(elapsed);
            await Tools.Eventually(async () =>
            {
                var cycles = MetricsText.Parse(await host.MetricsAsync()).Named("entra_exporter_poll_duration_seconds_count").ToList();
                return cycles.Count == 2 && cycles.All(c => c.Value == 2);
            }, TimeSpan.FromSeconds(30), "the second poll cycle of every source");
        }
        return await host.MetricsAsync();
    }

    [Fact]
    public async Task Metrics_output_of_the_demo_scenario_matches_the_golden_file()
    {
        // Two cycles, five scenario minutes apart: job status, log counters (events ingested in between),
        // the trailing window and the exporter's own series.
        var actual = Canonical(await RenderDemoAtFixedTimeAsync(TimeSpan.FromMinutes(5)));
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(GoldenSource, actual);
            return;
        }
        var expected = await File.ReadAllTextAsync(GoldenSource);
        if (expected != actual)
        {
            var actualPath = Path.Combine(Path.GetTempPath(), "entra-metrics.actual.txt");
            await File.WriteAllTextAsync(actualPath, actual);
            Assert.Fail($"/metrics differs from {GoldenSource}; the actual output is in {actualPath} (diff them). If the change is "
                + "intended, regenerate with UPDATE_GOLDEN=1 (see this class's summary).");
        }
    }

    /// <summary>
    /// The output as served, with two allowances. The process and runtime families (process_*, dotnet_*) are left
    /// out: their values are the machine's. And inside a family the series may come in any order (concurrent
    /// sources create them in varying order; Prometheus ignores it), so series are sorted, each kept whole: a
    /// histogram's lines stay in the order served (_sum, _count, then the buckets ascending, +Inf last), and
    /// families stay in the order served.
    /// </summary>
    public static string Canonical(string text)
    {
        var output = new System.Text.StringBuilder();
        var series = new List<(string Key, List<string> Lines)>();
        var skipping = false;
        void Flush()
        {
            foreach (var (_, lines) in series.OrderBy(s => s.Key, StringComparer.Ordinal))
                foreach (var line in lines) output.Append(line).Append('\n');
            series.Clear();
        }
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                Flush();
                skipping = line.StartsWith("# HELP process_", StringComparison.Ordinal)
                    || line.StartsWith("# HELP dotnet_", StringComparison.Ordinal);
            }
            if (skipping) continue;
            if (line.StartsWith('#'))
            {
                output.Append(line).Append('\n');
                continue;
            }
            var key = SeriesKey(line);
            if (series.Count > 0 && series[^1].Key == key) series[^1].Lines.Add(line);
            else series.Add((key, [line]));
        }
        Flush();
        return output.ToString();
    }

    /// <summary>A sample's series: its labels without le, so a histogram's lines share one key.</summary>
    private static string SeriesKey(string line)
    {
        var open = line.IndexOf('{', StringComparison.Ordinal);
        if (open < 0) return "";
        var labels = line[(open + 1)..line.LastIndexOf('}')];
        return System.Text.RegularExpressions.Regex.Replace(labels, ",?le=\"[^\"]*\"", "");
    }

    [Fact]
    public async Task The_escrow_job_is_quarantined_once_scenario_time_passes_its_threshold()
    {
        // Same pipeline, 20 scenario minutes later: the escrow-climbing app crosses 40 % at minute 16.
        var samples = MetricsText.Parse(await RenderDemoAtFixedTimeAsync(TimeSpan.FromMinutes(20)));
        var salesforce = samples.Named("entra_provisioning_job_info").Single(s => s.Labels["app_name"] == "Salesforce").Labels["job_id"];
        Assert.Equal(1, samples.Named("entra_provisioning_job_quarantined").Single(s => s.Labels["job_id"] == salesforce).Value);
        Assert.Equal(1,
            samples.Named("entra_provisioning_job_quarantine_reason").Single(s => s.Labels["job_id"] == salesforce)
            .Labels["reason"] == "EncounteredEscrowProportionThreshold" ? 1 : 0);
        var proportion = samples.Named("entra_provisioning_job_escrow_threshold_proximity")
            .Single(s => s.Labels["job_id"] == salesforce && s.Labels["threshold"] == "proportion").Value;
        Assert.True(proportion >= 1.0, $"proportion proximity {proportion} should have reached 1");
    }
}
