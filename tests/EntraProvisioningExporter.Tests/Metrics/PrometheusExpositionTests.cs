using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics.Families;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>How a publication reaches the registry: set, removed, reset, aged, and counted from zero.</summary>
public class PrometheusExpositionTests
{
    private static readonly DateTimeOffset Ended = MetricsHarness.Now.AddMinutes(-10);

    [Fact]
    public void A_label_value_that_goes_away_takes_its_series_with_it()
    {
        var h = new MetricsHarness();
        var began = MetricsHarness.Now.AddDays(-1);
        h.Publish(MetricsHarness.Job("q", "Quarantine")
            with { Quarantine = new QuarantineState("TooManyDeletes", began, began, null, 1, null) });
        Assert.Equal(1, h.Value("entra_provisioning_job_quarantine_reason", "q", ("reason", "TooManyDeletes")));
        Assert.NotNull(h.Value("entra_provisioning_job_quarantine_start_timestamp_seconds", "q"));

        h.Publish(MetricsHarness.Job("q", "Active"));
        Assert.Empty(h.Series("entra_provisioning_job_quarantine_reason"));
        Assert.Empty(h.Series("entra_provisioning_job_quarantine_start_timestamp_seconds"));
        Assert.Equal(0, h.Value("entra_provisioning_job_quarantined", "q"));
    }

    [Fact]
    public void A_renamed_app_or_a_new_raw_state_replaces_its_series_and_more_label_values_than_expected_are_all_served()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job("a", "Throttled") with { SynchronizedEntries = [new("user", 1)] });
        h.Publish(MetricsHarness.Job("a", "Backoff") with
        {
            AppName = "Renamed App",
            SynchronizedEntries = [.. Enumerable.Range(0, 6).Select(i => new KeyValuePair<string, long>($"type{i}", i))],
        });
        Assert.Equal("Renamed App", Assert.Single(h.Series("entra_provisioning_job_info")).Labels["app_name"]);
        var status = h.Series("entra_provisioning_job_status");
        Assert.Equal(6, status.Count);
        Assert.Equal(1, status.Single(s => s.Labels["code"] == "Backoff").Value);
        Assert.DoesNotContain(status, s => s.Labels["code"] == "Throttled");
        // Six object types, though a job is expected to have at most four.
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"type{i}"),
            h.Series("entra_provisioning_job_synchronized_entries").Select(s => s.Labels["object_type"]).Order(StringComparer.Ordinal));

        h.Publish(MetricsHarness.Job("a") with { SynchronizedEntries = [new("type5", 50), new("group", 2)] });
        Assert.Equal(["group", "type5"],
            h.Series("entra_provisioning_job_synchronized_entries").Select(s => s.Labels["object_type"]).Order(StringComparer.Ordinal));
        Assert.Equal(50, h.Value("entra_provisioning_job_synchronized_entries", "a", ("object_type", "type5")));
        Assert.Equal("Contoso SCIM App", Assert.Single(h.Series("entra_provisioning_job_info")).Labels["app_name"]);
        Assert.Equal(5, h.Series("entra_provisioning_job_status").Count);
    }

    /// <summary>
    /// A store of its own whose announced snapshots are kept, to hand to the harness's exposition in any order, as two
    /// publishing threads might.
    /// </summary>
    private static (TenantSnapshotStore Source, List<TenantSnapshot> Published) Recording()
    {
        var source = new TenantSnapshotStore();
        var published = new List<TenantSnapshot>();
        source.Published += published.Add;
        return (source, published);
    }

    [Fact]
    public void Publications_applied_out_of_order_end_with_the_newest_and_each_applies_only_what_changed()
    {
        var h = new MetricsHarness();
        var (source, published) = Recording();
        source.PublishJobs(new TenantJobSnapshot(MetricsHarness.TenantId, [MetricsHarness.Job("a", "Active")], MetricsHarness.Now));
        source.PublishJobs(new TenantJobSnapshot(MetricsHarness.TenantId, [MetricsHarness.Job("a", "Quarantine")], MetricsHarness.Now));
        source.Register(MetricsHarness.TenantId, SourceNames.GraphJobs);

        h.Exposition.Apply(published[2]); // health changed last, and it carries the newest jobs: both are applied
        Assert.Equal(1, h.Value("entra_provisioning_job_quarantined", "a"));
        Assert.Single(h.Series("entra_exporter_source_up"));
        h.Exposition.Apply(published[0]); // the oldest, arriving late, changes nothing
        h.Exposition.Apply(published[1]);
        Assert.Equal(1, h.Value("entra_provisioning_job_quarantined", "a"));
    }

    [Fact]
    public void A_tenant_back_after_removal_whose_snapshot_arrives_before_the_removal_still_loses_what_it_had()
    {
        var h = new MetricsHarness();
        var (source, published) = Recording();
        source.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        source.PublishLogs(MetricsHarness.LogSnapshot());
        h.Exposition.Apply(published[1]);
        Assert.Single(h.Series("entra_exporter_log_cursor_timestamp_seconds"));

        source.Remove(MetricsHarness.TenantId);
        source.ReportFailure(MetricsHarness.TenantId, SourceNames.LogAnalytics, "throttled"); // rebuilt: no logs yet
        h.Exposition.Apply(published[3]); // the newest first: the removal, arriving after it, is older
        h.Exposition.Apply(published[2]);
        Assert.Empty(h.Series("entra_exporter_log_cursor_timestamp_seconds"));
        Assert.Equal(0, Assert.Single(h.Series("entra_exporter_source_up")).Value);
    }

    [Fact]
    public void A_removed_tenant_loses_its_series_and_gets_them_back_when_it_returns()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job("a"));
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.GraphJobs);
        Assert.Single(h.Series("entra_provisioning_job_info"));
        h.Snapshots.Remove(MetricsHarness.TenantId);
        Assert.Empty(h.Series("entra_provisioning_job_info"));
        Assert.Empty(h.Series("entra_exporter_source_up"));
        Assert.Null(h.Snapshots.Get(MetricsHarness.TenantId));

        h.Publish(MetricsHarness.Job("b"));
        Assert.Equal("b", Assert.Single(h.Series("entra_provisioning_job_info")).Labels["job_id"]);
    }

    [Fact]
    public void One_tenants_publication_leaves_the_other_tenants_series_alone()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job("a") with { TenantId = "t1" });
        h.Publish(MetricsHarness.Job("b") with { TenantId = "t2" });
        h.Publish(MetricsHarness.Job("c") with { TenantId = "t1" });
        Assert.Equal(["b", "c"], h.Series("entra_provisioning_job_info").Select(s => s.Labels["job_id"]).Order(StringComparer.Ordinal));
        Assert.Equal(2, h.Series("entra_exporter_discovered_jobs").Count);
    }

    [Fact]
    public void Ages_move_with_the_clock_between_publications_and_their_timestamps_do_not()
    {
        var h = new MetricsHarness();
        h.Publish(MetricsHarness.Job()
            with { LastExecution = new ExecutionState { State = "Succeeded", TimeBegan = Ended.AddMinutes(-2), TimeEnded = Ended } });
        h.PublishLogs(MetricsHarness.LogSnapshot(windows: [new JobWindow(MetricsHarness.Key(MetricsHarness.Job()), 1, 0, 0, 0,
            Ended.AddMinutes(-5))],
            cursor: MetricsHarness.Now.AddMinutes(-1)));
        Assert.Equal(600, h.Value("entra_provisioning_job_last_activity_age_seconds", "scim.1.a"));
        Assert.Equal(900, h.Value("entra_provisioning_last_event_age_seconds", "scim.1.a"));
        Assert.Equal(60, Assert.Single(h.Series("entra_exporter_log_cursor_lag_seconds")).Value);

        h.Time.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(690, h.Value("entra_provisioning_job_last_activity_age_seconds", "scim.1.a"));
        Assert.Equal(990, h.Value("entra_provisioning_last_event_age_seconds", "scim.1.a"));
        Assert.Equal(150, Assert.Single(h.Series("entra_exporter_log_cursor_lag_seconds")).Value);
        Assert.Equal(Ended.ToUnixTimeSeconds(), h.Value("entra_provisioning_job_last_activity_timestamp_seconds", "scim.1.a"));
        Assert.Equal(MetricsHarness.Now.AddMinutes(-1).ToUnixTimeSeconds(),
            Assert.Single(h.Series("entra_exporter_log_cursor_timestamp_seconds")).Value);

        // A job whose execution vanished loses its age with its timestamp.
        h.Publish(MetricsHarness.Job());
        Assert.Empty(h.Series("entra_provisioning_job_last_activity_age_seconds"));
        Assert.Empty(h.Series("entra_provisioning_job_last_activity_timestamp_seconds"));
    }

    [Fact]
    public void A_known_jobs_failure_and_deletion_counters_exist_at_zero_before_its_first_event()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        h.Publish(MetricsHarness.Job("a"));

        var events = h.Series("entra_provisioning_events_total");
        Assert.Equal(LogEventFamilies.VisibleFromTheStart.Count, events.Count);
        Assert.All(events, e => Assert.Equal(0, e.Value));
        Assert.Equal(LogNormalization.Actions.Order(StringComparer.Ordinal),
            events.Where(e => e.Labels["status"] == "failure").Select(e => e.Labels["action"]).Order(StringComparer.Ordinal));
        Assert.Equal(["delete", "disable", "stageddelete"],
            events.Where(e => e.Labels["status"] == "success").Select(e => e.Labels["action"]).Order(StringComparer.Ordinal));

        // Counted events replace their zero (one series each); the other zeros stay; a job only the logs know gets them too.
        var a = MetricsHarness.Key(MetricsHarness.Job("a"));
        var logged = new JobKey(MetricsHarness.TenantId, "sp-only-in-logs", "b");
        h.PublishLogs(MetricsHarness.LogSnapshot(events: [new EventCounter(a, "update", "failure", 60),
            new EventCounter(a, "create", "success", 5), new EventCounter(logged, "create", "success", 1)]));
        events = h.Series("entra_provisioning_events_total");
        Assert.Equal(60, h.Value("entra_provisioning_events_total", "a", ("action", "update"), ("status", "failure")));
        Assert.Equal(5, h.Value("entra_provisioning_events_total", "a", ("action", "create"), ("status", "success")));
        Assert.Equal(0, h.Value("entra_provisioning_events_total", "a", ("action", "delete"), ("status", "failure")));
        Assert.Equal(2 * LogEventFamilies.VisibleFromTheStart.Count + 2, events.Count);
    }

    [Fact]
    public void A_job_that_appears_gets_its_zero_counters_and_one_that_goes_loses_them()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        h.Publish(MetricsHarness.Job("a"));
        h.Publish(MetricsHarness.Job("a", "Paused"), MetricsHarness.Job("b"));
        var perJob = LogEventFamilies.VisibleFromTheStart.Count;
        Assert.Equal(perJob, h.Series("entra_provisioning_events_total").Count(s => s.Labels["job_id"] == "b"));
        Assert.Equal(2, Assert.Single(h.Series("entra_exporter_discovered_jobs")).Value);
        h.Publish(MetricsHarness.Job("b"));
        Assert.DoesNotContain(h.Series("entra_provisioning_events_total"), s => s.Labels["job_id"] == "a");
        Assert.Equal(perJob, h.Series("entra_provisioning_events_total").Count);
        Assert.Equal(1, Assert.Single(h.Series("entra_exporter_discovered_jobs")).Value);
    }

    [Fact]
    public void Without_a_log_source_a_tenant_has_no_event_counters()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.GraphJobs);
        h.Publish(MetricsHarness.Job("a"));
        Assert.Empty(h.Series("entra_provisioning_events_total"));
    }

    [Fact]
    public void Counters_are_counters_and_a_count_that_goes_down_is_shown_as_a_reset()
    {
        var h = new MetricsHarness();
        var a = MetricsHarness.Key(MetricsHarness.Job("a"));
        h.PublishLogs(MetricsHarness.LogSnapshot(events: [new EventCounter(a, "update", "failure", 40)]));
        Assert.Contains("# TYPE entra_provisioning_events_total counter", h.Scrape(), StringComparison.Ordinal);
        Assert.Equal(40, h.Value("entra_provisioning_events_total", "a", ("action", "update"), ("status", "failure")));
        h.PublishLogs(MetricsHarness.LogSnapshot(events: [new EventCounter(a, "update", "failure", 45)]));
        Assert.Equal(45, h.Value("entra_provisioning_events_total", "a", ("action", "update"), ("status", "failure")));
        // The source started counting again (a new log source for the tenant): not held at 45.
        h.PublishLogs(MetricsHarness.LogSnapshot(events: [new EventCounter(a, "update", "failure", 3)]));
        Assert.Equal(3, h.Value("entra_provisioning_events_total", "a", ("action", "update"), ("status", "failure")));
    }

    [Fact]
    public void Source_health_follows_every_report()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.GraphJobs);
        Assert.Equal(0, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        Assert.Empty(h.Series("entra_exporter_source_last_success_timestamp_seconds"));
        h.Snapshots.ReportSuccess(MetricsHarness.TenantId, SourceNames.GraphJobs, MetricsHarness.Now);
        Assert.Equal(1, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        h.Snapshots.ReportFailure(MetricsHarness.TenantId, SourceNames.GraphJobs, "throttled");
        Assert.Equal(0, Assert.Single(h.Series("entra_exporter_source_up")).Value);
        // The last good time stays.
        Assert.Equal(MetricsHarness.Now.ToUnixTimeSeconds(),
            Assert.Single(h.Series("entra_exporter_source_last_success_timestamp_seconds")).Value);
    }

    [Fact]
    public void Recorded_families_start_at_zero_and_count()
    {
        var h = new MetricsHarness();
        h.Self.InitializePollErrors(MetricsHarness.TenantId, SourceNames.GraphJobs);
        var errors = h.Series("entra_exporter_poll_errors_total");
        Assert.Equal(PollErrorReason.All.Count, errors.Count);
        Assert.All(errors, e => Assert.Equal(0, e.Value));
        h.Self.CountPollError(MetricsHarness.TenantId, SourceNames.GraphJobs, PollErrorReason.Throttled);
        h.Self.CountHttpResponse(SourceNames.GraphJobs, 429);
        h.Self.RecordPollDuration(MetricsHarness.TenantId, SourceNames.GraphJobs, 0.3);
        Assert.Equal(1, h.Series("entra_exporter_poll_errors_total").Single(e => e.Labels["reason"] == PollErrorReason.Throttled).Value);
        Assert.Equal(1, Assert.Single(h.Series("entra_exporter_http_requests_total")).Value);
        var buckets = MetricsText.Parse(h.Scrape()).Named("entra_exporter_poll_duration_seconds_bucket").ToList();
        Assert.Equal(0, buckets.Single(b => b.Labels["le"] == "0.25").Value);
        Assert.Equal(1, buckets.Single(b => b.Labels["le"] == "0.5").Value);
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
    }

    [Fact]
    public void Families_are_served_in_the_order_of_the_table_with_the_process_families_after()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        h.Publish(MetricsHarness.Job());
        var served = h.Scrape().Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2])
            .ToList();
        var ours = served.Where(n => n.StartsWith("entra_", StringComparison.Ordinal)).ToList();
        Assert.Equal(h.Table.Families.Select(f => f.Name), ours);
        Assert.Contains("process_resident_memory_bytes", served);
        Assert.Contains("process_cpu_seconds_total", served);
        Assert.True(served.IndexOf("process_cpu_seconds_total") > served.IndexOf(ours[^1]));
    }

    [Fact]
    public void Help_texts_are_sanitized_for_both_formats()
    {
        var options = new ExporterOptions();
        options.Tenants.Add(new TenantOptions
        {
            TenantId = MetricsHarness.TenantId,
            Logs = { Source = "LogAnalytics",
                CustomQueries = [new CustomQueryOptions { Name = "contoso_q", Help = "Line one\nsays \"hi\" \\ bye", Query = "T",
                ValueColumn = "V" }] },
        });
        var h = new MetricsHarness(options);
        Assert.Equal(@"Line one\nsays 'hi' \\ bye", MetricsText.Help(h.Scrape(), "contoso_q"));
    }
}
