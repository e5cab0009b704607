using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;

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
        Assert.All(series,
            s => Assert.Equal(["code", "job_id", "service_principal_id", "tenant_id"], s.Labels.Keys.Order(StringComparer.Ordinal)));
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
        Assert.Equal(seriesBegan.AddDays(10).ToUnixTimeSeconds(),
            h.Value("entra_provisioning_job_quarantine_disable_timestamp_seconds", "q"));
        Assert.Equal(seriesBegan.AddHours(6).ToUnixTimeSeconds(),
            h.Value("entra_provisioning_job_quarantine_next_attempt_timestamp_seconds", "q"));
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
        h.Publish(MetricsHarness.Job()
            with { LastExecution = new ExecutionState { State = "Succeeded", TimeBegan = ended.AddMinutes(-2), TimeEnded = ended } });
        Assert.Equal(600, h.Value("entra_provisioning_job_last_activity_age_seconds", "scim.1.a"));
        h.Time.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(690, h.Value("entra_provisioning_job_last_activity_age_seconds", "scim.1.a"));
    }

    [Fact]
    public void A_running_execution_counts_its_age_from_its_start()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job()
            with { LastExecution = new ExecutionState { State = "Succeeded", TimeBegan = MetricsHarness.Now.AddMinutes(-3) } });
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
            LastExecution = new ExecutionState { State = "EntryLevelErrors", CountEscrowed = 3000, CountEscrowedRaw = 3300,
                CountExported = 7000, CountExports = 10000 },
            SynchronizedEntries = [new("user", 12), new("group", 3)],
        });
        Assert.Equal(3000, h.Value("entra_provisioning_job_last_execution_escrowed_entries", "scim.1.a"));
        Assert.Equal(3300, h.Value("entra_provisioning_job_last_execution_escrowed_raw_entries", "scim.1.a"));
        Assert.Equal(10000, h.Value("entra_provisioning_job_last_execution_expected_exports", "scim.1.a"));
        Assert.Null(h.Value("entra_provisioning_job_last_execution_imported_entries", "scim.1.a"));
        Assert.Equal(1, h.Value("entra_provisioning_job_last_execution_state", "scim.1.a", ("state", "EntryLevelErrors")));
        Assert.Equal(0.3, h.Value("entra_provisioning_job_escrow_failure_ratio", "scim.1.a")!.Value, 9);
        Assert.Equal(0.75, h.Value("entra_provisioning_job_escrow_threshold_proximity", "scim.1.a", ("threshold", "proportion"))!.Value, 9);
        Assert.Equal(0.055,
            h.Value("entra_provisioning_job_escrow_threshold_proximity", "scim.1.a", ("threshold", "total_failures"))!.Value, 9);
        Assert.Equal(3, h.Value("entra_provisioning_job_synchronized_entries", "scim.1.a", ("object_type", "group")));
    }

    [Fact]
    public void Help_says_values_are_polled_and_names_the_interval_series_not_a_value_a_reload_could_change()
    {
        var h = new MetricsHarness(new ExporterOptions { PollInterval = TimeSpan.FromSeconds(45) });
        h.Publish(MetricsHarness.Job());
        var text = h.Scrape();
        var help = MetricsText.Help(text, "entra_provisioning_job_quarantined")!;
        Assert.Contains("Polled from Microsoft Graph each poll interval (entra_exporter_poll_interval_seconds) and cached between polls",
            help, StringComparison.Ordinal);
        Assert.DoesNotContain("45", help, StringComparison.Ordinal);
        Assert.DoesNotContain("0.4", MetricsText.Help(text, "entra_provisioning_job_escrow_threshold_proximity")!,
            StringComparison.Ordinal);
        // An age is not cached: it moves with the clock between polls.
        var age = MetricsText.Help(text, "entra_provisioning_job_last_activity_age_seconds")!;
        Assert.Contains("Computed at scrape time", age, StringComparison.Ordinal);
        Assert.DoesNotContain("cached", age, StringComparison.Ordinal);
    }

    [Fact]
    public void Thresholds_accepted_at_reload_apply_to_the_published_jobs_at_once()
    {
        var h = new MetricsHarness();
        var seriesBegan = MetricsHarness.Now.AddDays(-2);
        h.Publish(MetricsHarness.Job("q", "Quarantine") with
        {
            Quarantine = new QuarantineState("EncounteredQuarantineException", null, seriesBegan, null, 1, "X"),
            LastExecution = new ExecutionState { State = "EntryLevelErrors", CountEscrowed = 1000, CountEscrowedRaw = 1000,
                CountExported = 9000, CountExports = 10000 },
        });
        Assert.Equal(0.25, h.Value("entra_provisioning_job_escrow_threshold_proximity", "q", ("threshold", "proportion"))!.Value, 9);
        Assert.Equal(seriesBegan.AddDays(28).ToUnixTimeSeconds(),
            h.Value("entra_provisioning_job_quarantine_disable_timestamp_seconds", "q"));

        var reloaded = new ExporterOptions { Quarantine = new QuarantineOptions { FailureProportion = 0.2,
            DisableAfter = TimeSpan.FromDays(7) } };
        h.Runtime.Accept(reloaded, h.Runtime.Info);

        // No new publication: the series follow the accepted thresholds, as the status page (which reads them) does.
        Assert.Equal(0.5, h.Value("entra_provisioning_job_escrow_threshold_proximity", "q", ("threshold", "proportion"))!.Value, 9);
        Assert.Equal(seriesBegan.AddDays(7).ToUnixTimeSeconds(),
            h.Value("entra_provisioning_job_quarantine_disable_timestamp_seconds", "q"));
    }

    [Fact]
    public void Source_health_and_discovered_jobs()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job("a"), MetricsHarness.Job("b"));
        h.Snapshots.Register("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", "graph_jobs");
        Assert.Equal(0, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        Assert.Empty(h.Series("entra_exporter_source_last_success_timestamp_seconds"));
        h.Snapshots.ReportSuccess("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", "graph_jobs", MetricsHarness.Now);
        Assert.Equal(1, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        Assert.Equal(MetricsHarness.Now.ToUnixTimeSeconds(),
            Assert.Single(h.Series("entra_exporter_source_last_success_timestamp_seconds")).Value);
        h.Snapshots.ReportFailure("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", "graph_jobs", "throttled");
        Assert.Equal(0, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        Assert.Equal(MetricsHarness.Now.ToUnixTimeSeconds(),
            Assert.Single(h.Series("entra_exporter_source_last_success_timestamp_seconds")).Value); // last good time stays
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

    [Fact]
    public void The_quarantine_error_is_one_series_while_quarantined_with_its_code_and_tenant_actionable()
    {
        var h = new MetricsHarness();
        var q = MetricsHarness.Job("q", "Quarantine")
            with { Quarantine = new QuarantineState("EncounteredQuarantineException", null, null, null, 1, "ScimBadGateway", false) };
        var unknownActionable = MetricsHarness.Job("u", "Quarantine")
            with { Quarantine = new QuarantineState("Unknown", null, null, null, 1, "X") };
        var noCode = MetricsHarness.Job("n", "Quarantine")
            with { Quarantine = new QuarantineState("TooManyDeletes", null, null, null, 1, null) };
        // Graph may leave a lifted quarantine's details behind: only a quarantined job has the series.
        var lifted = MetricsHarness.Job("a") with { Quarantine = new QuarantineState("Unknown", null, null, null, 1, "Old", true) };
        h.Publish(q, unknownActionable, noCode, lifted);
        var series = h.Series("entra_provisioning_job_quarantine_error");
        Assert.Equal(2, series.Count);
        Assert.Equal(1,
            h.Value("entra_provisioning_job_quarantine_error", "q", ("code", "ScimBadGateway"), ("tenant_actionable", "false")));
        Assert.Equal(1, h.Value("entra_provisioning_job_quarantine_error", "u", ("code", "X"), ("tenant_actionable", "unknown")));
    }

    [Fact]
    public void The_last_run_error_is_one_series_while_the_last_run_has_an_error_code()
    {
        var h = new MetricsHarness();
        static ExecutionState Run(string? code, bool? actionable)
            => new() { State = "Failed", ErrorCode = code, ErrorTenantActionable = actionable };
        var failing = MetricsHarness.Job("f") with { LastExecution = Run("ScimBadGateway", false) };
        var unknownActionable = MetricsHarness.Job("u") with { LastExecution = Run("X", null) };
        var noCode = MetricsHarness.Job("n") with { LastExecution = Run(null, null) };
        var neverRan = MetricsHarness.Job("r");
        h.Publish(failing, unknownActionable, noCode, neverRan);
        Assert.Equal(2, h.Series("entra_provisioning_job_last_execution_error").Count);
        Assert.Equal(1,
            h.Value("entra_provisioning_job_last_execution_error", "f", ("code", "ScimBadGateway"), ("tenant_actionable", "false")));
        Assert.Equal(1, h.Value("entra_provisioning_job_last_execution_error", "u", ("code", "X"), ("tenant_actionable", "unknown")));
        // The run succeeds: the series goes with the error.
        h.Publish(failing with { LastExecution = new ExecutionState { State = "Succeeded" } }, unknownActionable, noCode, neverRan);
        Assert.Single(h.Series("entra_provisioning_job_last_execution_error"));
    }

    [Fact]
    public void Initial_cycle_progress_and_steady_state_follow_the_job()
    {
        var h = new MetricsHarness();
        var observed = new DateTimeOffset(2026, 3, 1, 11, 59, 30, TimeSpan.Zero);
        var climbing = MetricsHarness.Job("c") with
        {
            SteadyStateReached = false,
            Progress = [new ProgressState("pages", 1100, 3024, observed), new ProgressState("groups", 7, null, null)],
        };
        var done = MetricsHarness.Job("d") with { SteadyStateReached = true, SteadyStateFirstAchieved = observed.AddDays(-3) };
        h.Publish(climbing, done, MetricsHarness.Job("x"));
        Assert.Equal(1100, h.Value("entra_provisioning_job_progress_completed_units", "c", ("units", "pages")));
        Assert.Equal(7, h.Value("entra_provisioning_job_progress_completed_units", "c", ("units", "groups")));
        Assert.Equal(3024, h.Value("entra_provisioning_job_progress_total_units", "c", ("units", "pages")));
        Assert.Null(h.Value("entra_provisioning_job_progress_total_units", "c", ("units", "groups"))); // absent, not 0
        Assert.Equal(observed.ToUnixTimeSeconds(),
            h.Value("entra_provisioning_job_progress_observation_timestamp_seconds", "c", ("units", "pages")));
        Assert.Equal(0, h.Value("entra_provisioning_job_steady_state_reached", "c"));
        Assert.Equal(1, h.Value("entra_provisioning_job_steady_state_reached", "d"));
        Assert.Equal(observed.AddDays(-3).ToUnixTimeSeconds(),
            h.Value("entra_provisioning_job_steady_state_first_achieved_timestamp_seconds", "d"));
        // A job with no status and no progress has none of these series.
        Assert.DoesNotContain(h.Series("entra_provisioning_job_steady_state_reached"), s => s.Labels["job_id"] == "x");
        Assert.DoesNotContain(h.Series("entra_provisioning_job_progress_completed_units"), s => s.Labels["job_id"] != "c");
    }

    [Fact]
    public void Delete_threshold_proximity_is_the_current_cycle_over_the_threshold()
    {
        var h = new MetricsHarness();
        var near = MetricsHarness.Job("near") with { DeleteThreshold = 500 };
        var idle = MetricsHarness.Job("idle") with { DeleteThreshold = 500 };
        var zero = MetricsHarness.Job("zero") with { DeleteThreshold = 0 };
        var none = MetricsHarness.Job("none");
        var tripped = MetricsHarness.Job("tripped", "Quarantine")
            with { Quarantine = new QuarantineState("TooManyDeletes", null, null, null, 1, null) };
        h.Publish(near, idle, zero, none, tripped);

        // Before any log snapshot: the threshold is known, the proximity is not (except a TooManyDeletes quarantine).
        Assert.Equal(500, h.Value("entra_provisioning_job_delete_threshold", "near"));
        Assert.Equal(0, h.Value("entra_provisioning_job_delete_threshold", "zero"));
        Assert.Null(h.Value("entra_provisioning_job_delete_threshold", "none"));
        Assert.Null(h.Value("entra_provisioning_job_delete_threshold_proximity", "near"));
        Assert.Equal(1, h.Value("entra_provisioning_job_delete_threshold_proximity", "tripped"));

        var started = MetricsHarness.Now.AddMinutes(-30);
        JobCycle Cycle(JobState job, long deletes, long disables, long staged)
            => new(MetricsHarness.Key(job), "c-" + job.JobId, started, MetricsHarness.Now, deletes, disables, staged);
        h.PublishLogs(MetricsHarness.LogSnapshot()
            with { Cycles = [Cycle(near, 300, 120, 40), Cycle(zero, 5, 0, 0), Cycle(tripped, 10, 0, 600)] });

        Assert.Equal(420.0 / 500, h.Value("entra_provisioning_job_delete_threshold_proximity", "near"));
        Assert.Equal(0, h.Value("entra_provisioning_job_delete_threshold_proximity", "idle")); // no cycle in the window: nothing deleted
        Assert.Null(h.Value("entra_provisioning_job_delete_threshold_proximity", "zero"));   // a threshold of 0: no ratio, not infinity
        Assert.Null(h.Value("entra_provisioning_job_delete_threshold_proximity", "none"));
        Assert.Equal(1, h.Value("entra_provisioning_job_delete_threshold_proximity", "tripped"));
        Assert.Equal(300, h.Value("entra_provisioning_current_cycle_deletions", "near", ("action", "delete")));
        Assert.Equal(120, h.Value("entra_provisioning_current_cycle_deletions", "near", ("action", "disable")));
        Assert.Equal(40, h.Value("entra_provisioning_current_cycle_deletions", "near", ("action", "stageddelete")));
        Assert.Equal(started.ToUnixTimeSeconds(), h.Value("entra_provisioning_current_cycle_start_timestamp_seconds", "near"));
        Assert.Equal(3, h.Series("entra_provisioning_current_cycle_start_timestamp_seconds").Count);
    }
}
