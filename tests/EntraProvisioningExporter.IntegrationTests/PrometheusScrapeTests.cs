using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>A real Prometheus 2.42 scrapes the demo exporter (negotiating OpenMetrics, as it does by default).</summary>
public class PrometheusScrapeTests
{
    [Fact]
    public async Task Prometheus_scrapes_the_demo_without_errors_and_sees_the_quarantined_job()
    {
        await using var exporter = await ExporterHost.StartAsync(["--demo"]);
        await exporter.WaitReadyAsync();
        var config = $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: entra
                static_configs:
                  - targets: ['{exporter.Address.Authority}']
            """;
        await using var prometheus = await PrometheusServer.StartAsync(config);

        await Tools.Eventually(async () =>
        {
            var targets = await prometheus.TargetsAsync();
            return targets.GetArrayLength() == 1 && targets[0].GetProperty("health").GetString() == "up";
        }, TimeSpan.FromSeconds(60), "the exporter target to be up in Prometheus");

        var target = (await prometheus.TargetsAsync())[0];
        Assert.Equal("", target.GetProperty("lastError").GetString());
        // The targets API can report a scrape's health before that scrape's samples are committed and queryable.
        await Tools.Eventually(async () => await prometheus.QueryAsync("up{job=\"entra\"}") is [{ Value: 1 }],
            TimeSpan.FromSeconds(30), "up == 1 in Prometheus");

        await Tools.Eventually(async () => (await prometheus.QueryAsync("entra_provisioning_job_quarantined")).Count > 0,
            TimeSpan.FromSeconds(30), "job series in Prometheus");
        var quarantined = await prometheus.QueryAsync(
            "entra_provisioning_job_quarantined == 1 and on(job_id) entra_provisioning_job_info{app_name=\"Dropbox Business\"}");
        Assert.Equal(1, Assert.Single(quarantined).Value);
        var reason = Assert.Single(await prometheus.QueryAsync("entra_provisioning_job_quarantine_reason"));
        Assert.Equal("EncounteredQuarantineException", reason.Labels["reason"]);
        // The provisioning-log series (the demo reads them from the simulated Log Analytics workspace).
        var boxFailures = await prometheus.QueryAsync(
            "entra_provisioning_window_events{status=\"failure\"} * on(job_id) group_left(app_name) "
                + "entra_provisioning_job_info{app_name=\"Box\"}");
        Assert.True(Assert.Single(boxFailures).Value > 0);
        Assert.Equal(1, Assert.Single(await prometheus.QueryAsync("entra_exporter_source_up{source=\"loganalytics\"}")).Value);
        // The counter arrives with its _total name over OpenMetrics too.
        Assert.NotEmpty(await prometheus.QueryAsync("entra_exporter_http_requests_total{status_code=\"200\"}"));
        // Every sample of the scrape was ingested.
        var scraped = Assert.Single(await prometheus.QueryAsync("scrape_samples_scraped{job=\"entra\"}")).Value;
        Assert.True(scraped > 400, $"only {scraped} samples scraped");
        Assert.Equal(scraped, Assert.Single(await prometheus.QueryAsync("scrape_samples_post_metric_relabeling{job=\"entra\"}")).Value);
    }
}
