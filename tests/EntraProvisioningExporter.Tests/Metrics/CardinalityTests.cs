using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;

namespace EntraProvisioningExporter.Tests.Metrics;

public class CardinalityTests
{
    private static void PublishJobs(MetricsHarness h, int count) =>
        h.Publish([.. Enumerable.Range(0, count).Select(i => MetricsHarness.Job(id: $"scim.{i:D5}"))]);

    [Fact]
    public void Up_to_MaxJobs_jobs_no_series_is_dropped_and_no_overflow_is_reported()
    {
        using var h = new MetricsHarness(new ExporterOptions { MaxJobs = 50 });
        PublishJobs(h, 50);
        h.Collect();

        Assert.Equal(50, h.Series("entra_provisioning_job_info").Count);
        Assert.Equal(50 * 5, h.Series("entra_provisioning_job_status").Count);
        var overflow = h.Series("entra_exporter_cardinality_overflow");
        Assert.Contains(overflow, s => s.Labels["metric"] == "entra_provisioning_job_info");
        Assert.All(overflow, s => Assert.Equal(0, s.Value));
    }

    [Fact]
    public void Past_MaxJobs_the_overflow_is_reported_by_a_self_metric_and_never_exposed_as_a_merged_series()
    {
        using var h = new MetricsHarness(new ExporterOptions { MaxJobs = 3 });
        PublishJobs(h, 20);
        h.Collect();

        var snapshot = h.Collect();
        Assert.DoesNotContain(snapshot.Families.SelectMany(f => f.Samples), s => s.Labels.Any(l => l.Key == PrometheusPullExporter.OverflowTag));
        Assert.InRange(h.Series("entra_provisioning_job_info").Count, 1, 19);
        var overflow = h.Series("entra_exporter_cardinality_overflow").ToDictionary(s => s.Labels["metric"], s => s.Value);
        Assert.Equal(1, overflow["entra_provisioning_job_info"]);
        Assert.Equal(1, overflow["entra_provisioning_job_status"]);
        Assert.Equal(0, overflow["entra_exporter_poll_errors_total"]);
    }
}
