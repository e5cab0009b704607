using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The default cardinality limits at the scale they are sized for.</summary>
public class CardinalityTests
{
    [Fact]
    public async Task At_10000_jobs_with_default_limits_no_series_is_dropped_and_no_overflow_is_reported()
    {
        // The demo tenant's 13 jobs plus 9,987 synthetic ones, with provisioning logs for every job.
        await using var host = await ExporterHost.StartAsync(["--demo", "--Demo:SyntheticJobs", "9987", "--Exporter:PollInterval", "00:10:00"]);
        await host.WaitReadyAsync(TimeSpan.FromMinutes(3));
        // Two collections: the overflow gauge reports what the previous collection found.
        await host.MetricsAsync();
        var samples = MetricsText.Parse(await host.MetricsAsync());

        Assert.Equal(10_000, samples.Named("entra_provisioning_job_info").Select(s => s.Labels["job_id"]).Distinct().Count());
        // A state set has a series for every known state of every job: 5 status codes each.
        Assert.Equal(50_000, samples.Named("entra_provisioning_job_status").Count());
        Assert.DoesNotContain(samples, s => s.Labels.ContainsKey("otel_metric_overflow") || s.Labels.ContainsKey("otel.metric.overflow"));
        var overflow = samples.Named("entra_exporter_cardinality_overflow").ToList();
        Assert.Contains(overflow, s => s.Labels["metric"] == "entra_provisioning_window_events");
        Assert.All(overflow, s => Assert.True(s.Value == 0, $"{s.Labels["metric"]} overflowed"));
        Assert.Equal(10_000, samples.Named("entra_exporter_discovered_jobs").Single().Value);
    }
}
