using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The exporter at the scale it is sized for: every series of 10,000 jobs served.</summary>
[Collection(RunsAlone.Name)]
public class CardinalityTests
{
    [Fact]
    public async Task At_10000_jobs_every_series_is_served()
    {
        // The demo tenant's own jobs plus synthetic ones up to 10,000, with provisioning logs for every job.
        await using var host = await ExporterHost.StartAsync(["--demo", "--Demo:SyntheticJobs", $"{10_000 - Demo.Jobs}",
            "--Exporter:PollInterval", "00:10:00"]);
        await host.WaitReadyAsync(TimeSpan.FromMinutes(3));
        var samples = MetricsText.Parse(await host.MetricsAsync());

        Assert.Equal(10_000, samples.Named("entra_provisioning_job_info").Select(s => s.Labels["job_id"]).Distinct().Count());
        // A state set has a series for every known state of every job: 5 status codes each.
        Assert.Equal(50_000, samples.Named("entra_provisioning_job_status").Count());
        // Every job's failure counters (6 actions) and deletion counters (3), there from the start.
        Assert.Equal(90_000, samples.Named("entra_provisioning_events_total")
            .Count(s => s.Labels["status"] == "failure"
                || (s.Labels["status"] == "success" && s.Labels["action"] is "delete" or "stageddelete" or "disable")));
        Assert.Equal(10_000, samples.Named("entra_exporter_discovered_jobs").Single().Value);
    }
}
