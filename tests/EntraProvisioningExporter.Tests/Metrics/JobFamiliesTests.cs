using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Tests.Metrics;

public class JobFamiliesTests
{
    [Fact]
    public void Status_is_a_state_set_over_the_known_codes()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job(code: "Quarantine"));
        var series = h.Series("entra_provisioning_job_status");
        Assert.Equal(5, series.Count);
        Assert.Equal(1, series.Single(s => s.Labels["code"] == "Quarantine").Value);
        Assert.All(series.Where(s => s.Labels["code"] != "Quarantine"), s => Assert.Equal(0, s.Value));
        Assert.All(series, s => Assert.Equal(["code", "job_id", "service_principal_id", "tenant_id"], s.Labels.Keys.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void An_unknown_status_code_appears_raw_beside_the_known_ones()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job(code: "Throttled"));
        var series = h.Series("entra_provisioning_job_status");
        Assert.Equal(6, series.Count);
        Assert.Equal(1, series.Single(s => s.Labels["code"] == "Throttled").Value);
        Assert.Equal(0, series.Where(s => s.Labels["code"] != "Throttled").Sum(s => s.Value));
    }

    [Fact]
    public void Info_carries_app_name_and_template()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job());
        var info = Assert.Single(h.Series("entra_provisioning_job_info"));
        Assert.Equal(1, info.Value);
        Assert.Equal("Contoso SCIM App", info.Labels["app_name"]);
        Assert.Equal("scim", info.Labels["template_id"]);
    }

    [Fact]
    public void Quarantine_series_exist_only_while_quarantined_with_the_disable_date_from_the_series_start()
    {
        var h = new MetricsHarness(new ExporterOptions { Quarantine = new QuarantineOptions { DisableAfter = TimeSpan.FromDays(10) } });
        var seriesBegan = new DateTimeOffset(2026, 2, 20, 6, 0, 0, TimeSpan.Zero);
        var quarantined = MetricsHarness.Job("q", "Quarantine") with
        {
            Quarantine = new QuarantineState("EncounteredSomethingNew", null, seriesBegan, seriesBegan.AddHours(6), 3, "X"),
        };
        h.Publish(quarantined, MetricsHarness.Job("ok"));

        Assert.Equal(1, h.Value("entra_provisioning_job_quarantined", "q"));
        Assert.Equal(0, h.Value("entra_provisioning_job_quarantined", "ok"));
        Assert.Equal(1, h.Value("entra_provisioning_job_quarantine_reason", "q", ("reason", "EncounteredSomethingNew")));
        Assert.Null(h.Value("entra_provisioning_job_quarantine_start_timestamp_seconds", "q")); // "" currentBegan: absent
        Assert.Equal(seriesBegan.ToUnixTimeSeconds(), h.Value("entra_provisioning_job_quarantine_series_start_timestamp_seconds", "q"));
        Assert.Equal(seriesBegan.AddDays(10).ToUnixTimeSeconds(), h.Value("entra_provisioning_job_quarantine_disable_timestamp_seconds", "q"));
        Assert.Equal(seriesBegan.AddHours(6).ToUnixTimeSeconds(), h.Value("entra_provisioning_job_quarantine_next_attempt_timestamp_seconds", "q"));
        Assert.Equal(3, h.Value("entra_provisioning_job_quarantine_series_occurrences", "q"));
        Assert.DoesNotContain(h.Series("entra_provisioning_job_quarantine_reason"), s => s.Labels["job_id"] == "ok");
    }

    [Fact]
    public void A_quarantined_job_without_quarantine_details_still_says_why_not()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job("q", "Quarantine"));
        Assert.Equal(1, h.Value("entra_provisioning_job_quarantine_reason", "q", ("reason", "Unknown")));
        Assert.Null(h.Value("entra_provisioning_job_quarantine_disable_timestamp_seconds", "q"));
    }

    [Fact]
    public void Last_activity_age_is_computed_at_collection_time()
    {
        var h = new MetricsHarness();
        var ended = MetricsHarness.Now.AddMinutes(-10);
        h.Publish(MetricsHarness.Job() with { LastExecution = new ExecutionState { State = "Succeeded", TimeBegan = ended.AddMinutes(-2), TimeEnded = ended } });
        Assert.Equal(600, h.Value("entra_provisioning_job_last_activity_age_seconds", "scim.1.a"));
        h.Time.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(690, h.Value("entra_provisioning_job_last_activity_age_seconds", "scim.1.a"));
    }

    [Fact]
    public void A_running_execution_counts_its_age_from_its_start()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job() with { LastExecution = new ExecutionState { State = "Succeeded", TimeBegan = MetricsHarness.Now.AddMinutes(-3) } });
        Assert.Equal(180, h.Value("entra_provisioning_job_last_activity_age_seconds", "scim.1.a"));
    }

    [Fact]
    public void A_job_that_disappears_from_the_tenant_disappears_from_the_output()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job("a"), MetricsHarness.Job("b"));
        Assert.Equal(2, h.Series("entra_provisioning_job_info").Count);
        Assert.Contains("job_id=\"b\"", h.Scrape(), StringComparison.Ordinal);
        h.Publish(MetricsHarness.Job("a"));
        Assert.DoesNotContain("job_id=\"b\"", h.Scrape(), StringComparison.Ordinal);
        Assert.Single(h.Series("entra_provisioning_job_info"));
    }

    [Fact]
    public void Infinite_or_absent_interval_has_no_series()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job("a"), MetricsHarness.Job("b") with { ScheduleInterval = null });
        Assert.Equal(2400, h.Value("entra_provisioning_job_schedule_interval_seconds", "a"));
        Assert.Null(h.Value("entra_provisioning_job_schedule_interval_seconds", "b"));
    }

    [Fact]
    public void Execution_counters_and_escrow_proximity_follow_the_last_execution()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job() with
        {
            LastExecution = new ExecutionState { State = "EntryLevelErrors", CountEscrowed = 3000, CountEscrowedRaw = 3300, CountExported = 7000, CountExports = 10000 },
            SynchronizedEntries = [new("user", 12), new("group", 3)],
        });
        Assert.Equal(3000, h.Value("entra_provisioning_job_last_execution_escrowed_entries", "scim.1.a"));
        Assert.Equal(3300, h.Value("entra_provisioning_job_last_execution_escrowed_raw_entries", "scim.1.a"));
        Assert.Equal(10000, h.Value("entra_provisioning_job_last_execution_expected_exports", "scim.1.a"));
        Assert.Null(h.Value("entra_provisioning_job_last_execution_imported_entries", "scim.1.a"));
        Assert.Equal(1, h.Value("entra_provisioning_job_last_execution_state", "scim.1.a", ("state", "EntryLevelErrors")));
        Assert.Equal(0.3, h.Value("entra_provisioning_job_escrow_failure_ratio", "scim.1.a")!.Value, 9);
        Assert.Equal(0.75, h.Value("entra_provisioning_job_escrow_threshold_proximity", "scim.1.a", ("threshold", "proportion"))!.Value, 9);
        Assert.Equal(0.055, h.Value("entra_provisioning_job_escrow_threshold_proximity", "scim.1.a", ("threshold", "total_failures"))!.Value, 9);
        Assert.Equal(3, h.Value("entra_provisioning_job_synchronized_entries", "scim.1.a", ("object_type", "group")));
    }

    [Fact]
    public void Help_says_values_are_polled_and_how_often()
    {
        var h = new MetricsHarness(new ExporterOptions { PollInterval = TimeSpan.FromSeconds(45) });
        h.Publish(MetricsHarness.Job());
        var text = h.Scrape();
        Assert.Contains("Polled from Microsoft Graph every 45s and cached between polls", MetricsText.Help(text, "entra_provisioning_job_quarantined"), StringComparison.Ordinal);
        // An age is not cached: it moves with the clock between polls.
        var age = MetricsText.Help(text, "entra_provisioning_job_last_activity_age_seconds")!;
        Assert.Contains("Computed at scrape time", age, StringComparison.Ordinal);
        Assert.DoesNotContain("cached", age, StringComparison.Ordinal);
    }

    [Fact]
    public void Source_health_and_discovered_jobs()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job("a"), MetricsHarness.Job("b"));
        h.Health.Register("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", "graph_jobs");
        Assert.Equal(0, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        Assert.Empty(h.Series("entra_exporter_source_last_success_timestamp_seconds"));
        h.Health.ReportSuccess("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", "graph_jobs", MetricsHarness.Now);
        Assert.Equal(1, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        Assert.Equal(MetricsHarness.Now.ToUnixTimeSeconds(), Assert.Single(h.Series("entra_exporter_source_last_success_timestamp_seconds")).Value);
        h.Health.ReportFailure("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", "graph_jobs", "throttled");
        Assert.Equal(0, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        Assert.Equal(MetricsHarness.Now.ToUnixTimeSeconds(), Assert.Single(h.Series("entra_exporter_source_last_success_timestamp_seconds")).Value); // last good time stays
        Assert.Equal(2, Assert.Single(h.Series("entra_exporter_discovered_jobs")).Value);
    }

    [Fact]
    public void No_series_is_dropped_at_ten_thousand_jobs()
    {
        var h = new MetricsHarness();
        h.Publish(Enumerable.Range(0, 10_000).Select(i => MetricsHarness.Job($"scim.{i}", i % 2 == 0 ? "Active" : "Throttled")).ToArray());
        var samples = MetricsText.Parse(h.Scrape());
        Assert.Equal(10_000, samples.Named("entra_provisioning_job_info").Count());
        Assert.Equal(10_000 * 5 + 5_000, samples.Named("entra_provisioning_job_status").Count());
    }
}
