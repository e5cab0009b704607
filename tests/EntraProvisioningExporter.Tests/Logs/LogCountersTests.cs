using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Logs;

public class LogCountersTests
{
    private static readonly JobKey Job = new("t", "sp", "scim.1");

    [Theory]
    [InlineData("Create", "create")]
    [InlineData("update", "update")]
    [InlineData("StagedDelete", "stageddelete")]
    [InlineData("stagedDelete", "stageddelete")]
    [InlineData(" Disable ", "disable")]
    [InlineData("Delete", "delete")]
    [InlineData("Other", "other")]
    [InlineData("UnknownFutureValue", "other")]
    [InlineData(null, "other")]
    public void Actions_of_both_sources_normalise(string? raw, string expected) => Assert.Equal(expected, LogNormalization.Action(raw));

    [Theory]
    [InlineData("Success", "success")]
    [InlineData("failure", "failure")]
    [InlineData("Skipped", "skipped")]
    [InlineData("WARNING", "warning")]
    [InlineData("UnknownFutureValue", "unknown")]
    [InlineData("", "unknown")]
    public void Statuses_of_both_sources_normalise(string? raw, string expected) => Assert.Equal(expected, LogNormalization.Status(raw));

    [Theory]
    [InlineData("None", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData(" SalesforceDuplicateValue ", "SalesforceDuplicateValue")]
    public void Error_codes_normalise(string? raw, string? expected) => Assert.Equal(expected, LogNormalization.ErrorCode(raw));

    [Fact]
    public void Staged_counts_only_count_once_committed()
    {
        var c = new LogCounters(10);
        c.Stage(Job, "update", "success", null, 5);
        Assert.Empty(c.Totals.Events);
        c.Commit();
        c.Stage(Job, "update", "success", null, 3);
        c.DiscardStaged();
        c.Commit();
        Assert.Equal(5, Assert.Single(c.Totals.Events).Count);
    }

    [Fact]
    public void Failures_count_by_error_code_and_a_failure_without_one_is_unspecified()
    {
        var c = new LogCounters(10);
        c.Stage(Job, "update", "failure", "A", 2);
        c.Stage(Job, "create", "failure", null, 1);
        c.Stage(Job, "update", "success", "ignored-for-successes", 9);
        c.Commit();
        Assert.Equal([("A", 2L), ("unspecified", 1L)], c.Totals.Errors.Select(e => (e.ErrorCode, e.Count)));
    }

    [Fact]
    public void Error_codes_are_bounded_most_frequent_first_and_admitted_codes_keep_their_series()
    {
        var c = new LogCounters(2);
        c.Stage(Job, "update", "failure", "rare", 1);
        c.Stage(Job, "update", "failure", "common", 50);
        c.Stage(Job, "update", "failure", "middle", 10);
        c.Commit();
        Assert.Equal([("common", 50L), ("middle", 10L), ("other", 1L)],
            c.Totals.Errors.OrderByDescending(e => e.Count).Select(e => (e.ErrorCode, e.Count)));

        // A new, even more frequent code cannot take an admitted code's series: it counts as other.
        c.Stage(Job, "update", "failure", "new", 500);
        c.Stage(Job, "update", "failure", "middle", 1);
        c.Commit();
        var errors = c.Totals.Errors.ToDictionary(e => e.ErrorCode, e => e.Count);
        Assert.Equal(3, errors.Count);
        Assert.Equal(501, errors["other"]);
        Assert.Equal(11, errors["middle"]);
        Assert.Equal(50, errors["common"]);
    }

    [Fact]
    public void Bounds_are_per_job()
    {
        var c = new LogCounters(1);
        var other = Job with { JobId = "scim.2" };
        c.Stage(Job, "update", "failure", "A", 1);
        c.Stage(other, "update", "failure", "B", 1);
        c.Commit();
        Assert.Equal(["A", "B"], c.Totals.Errors.Select(e => e.ErrorCode).Order());
    }

    [Fact]
    public void Counters_never_decrease_across_commits()
    {
        var c = new LogCounters(3);
        long previous = 0;
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            c.Stage(Job, "update", random.Next(2) == 0 ? "failure" : "success", $"code{random.Next(6)}", random.Next(0, 5));
            if (random.Next(4) == 0) c.DiscardStaged(); else c.Commit();
            var total = c.Totals.Events.Sum(e => e.Count);
            Assert.True(total >= previous);
            Assert.Equal(c.Totals.Events.Where(e => e.Status == "failure").Sum(e => e.Count), c.Totals.Errors.Sum(e => e.Count));
            previous = total;
        }
    }

    [Fact]
    public void Window_failure_ratio_excludes_skipped_and_is_absent_without_events()
    {
        Assert.Equal(0.25, new JobWindow(Job, Success: 2, Failure: 1, Skipped: 100, Warning: 1, null).FailureRatio);
        Assert.Null(new JobWindow(Job, 0, 0, 5, 0, null).FailureRatio);
    }

    [Theory]
    [InlineData("Export", "export")]
    [InlineData("referenceResolution", "referenceresolution")]
    [InlineData(" import ", "import")]
    [InlineData("unknownFutureValue", "other")]
    [InlineData("teleport", "other")]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Step_types_normalise_to_the_documented_enum_or_other(string? raw, string? expected)
        => Assert.Equal(expected, LogNormalization.Step(raw));

    [Theory]
    [InlineData("system", "system")]
    [InlineData("User", "user")]
    [InlineData("application", "application")]
    [InlineData("unknownFutureValue", "other")]
    [InlineData("", "other")]
    [InlineData(null, "other")]
    public void Initiator_types_normalise(string? raw, string expected) => Assert.Equal(expected, LogNormalization.Initiator(raw));

    [Theory]
    [InlineData("User", "user")]
    [InlineData("GROUP", "group")]
    [InlineData("urn:ietf:params:scim:schemas:core:2.0:User", "other")]
    [InlineData(null, "other")]
    public void Identity_types_normalise_case_insensitively(string? raw, string expected)
        => Assert.Equal(expected, LogNormalization.Identity(raw));

    [Theory]
    [InlineData(0L, true)]
    [InlineData(86_400_000L, true)]
    [InlineData(86_400_001L, false)]
    [InlineData(-1L, false)]
    [InlineData(null, false)]
    public void A_duration_is_usable_from_0_to_a_day(long? ms, bool usable) => Assert.Equal(usable, EventDurations.Usable(ms));

    [Theory]
    [InlineData(0L, 0)]
    [InlineData(100L, 0)]
    [InlineData(101L, 1)]
    [InlineData(1000L, 2)]
    [InlineData(600_000L, 7)]
    [InlineData(600_001L, 8)]
    public void A_duration_falls_in_the_first_bucket_whose_bound_it_does_not_pass(long ms, int bucket)
        => Assert.Equal(bucket, EventDurations.Bucket(ms));

    [Theory]
    [InlineData(0, 2L, 200.0, true)]
    [InlineData(0, 2L, 201.0, false)]
    [InlineData(1, 2L, 200.0, true)] // both exactly 100 ms is not (0.1, 0.5], but rounding in a sum is allowed at the edge
    [InlineData(1, 2L, 199.0, false)]
    [InlineData(8, 1L, 86_400_000.0, true)]
    [InlineData(8, 1L, 86_400_001.0, false)]
    [InlineData(9, 1L, 1.0, false)]
    [InlineData(-1, 1L, 1.0, false)]
    [InlineData(0, 0L, 0.0, false)]
    public void A_rows_total_fits_its_bucket_only_when_every_event_could_lie_in_it(int bucket, long events, double totalMs, bool fits) =>
        Assert.Equal(fits, EventDurations.Fits(bucket, events, totalMs));

    [Fact]
    public void Event_details_are_staged_with_the_events_and_a_discarded_read_moves_none_of_them()
    {
        var c = new LogCounters(10);
        c.Stage(Job, "update", "failure", "E", 3, new EventDetail("user", "group", "export", 3, 1.5 * 3));
        c.Stage(Job, "update", "success", null, 4, new EventDetail("system", "user", "export", 0, 0.4));
        c.Stage(Job, "create", "success", null, 1, new EventDetail("system", "user", null, EventDurations.Untimed, 0));
        Assert.Empty(c.Totals.Durations);
        c.DiscardStaged();
        c.Commit();
        Assert.Empty(c.Totals.StepFailures);
        Assert.Empty(c.Totals.Initiators);
        Assert.Empty(c.Totals.DurationHistograms);

        c.Stage(Job, "update", "failure", "E", 3, new EventDetail("user", "group", "export", 3, 1.5 * 3));
        c.Stage(Job, "update", "success", null, 4, new EventDetail("system", "user", "export", 0, 0.4));
        c.Stage(Job, "create", "success", null, 1, new EventDetail("system", "user", null, EventDurations.Untimed, 0));
        c.Commit();
        // Only a failure counts at its step; an untimed event counts everywhere but in the durations.
        Assert.Equal([new StepFailureCounter(Job, "export", 3)], c.Totals.StepFailures);
        Assert.Equal([new TenantEventCounter("system", 5), new TenantEventCounter("user", 3)], c.Totals.Initiators);
        Assert.Equal([new TenantEventCounter("group", 3), new TenantEventCounter("user", 5)], c.Totals.IdentityTypes);
        Assert.Equal([new DurationCounter(Job, 7, 4.9)], c.Totals.Durations);
        var update = Assert.Single(c.Totals.DurationHistograms);
        Assert.Equal("update", update.Action);
        Assert.Equal([4L, 0, 0, 3, 0, 0, 0, 0, 0], update.Counts);
        Assert.Equal(0.4, update.Seconds[0], 9);
        Assert.Equal(4.5, update.Seconds[3], 9);
        // A snapshot carries the counters' totals themselves, not a copy.
        var snapshot = new TenantLogSnapshot("t", "graph_provisioning_logs", c.Totals, [], default, 0, new Dictionary<string,
            CustomQueryResult>());
        Assert.Same(c.Totals.StepFailures, snapshot.StepFailures);
        Assert.Equal((1, 2, 2, 1, 1),
            (snapshot.StepFailures.Count, snapshot.Initiators.Count, snapshot.IdentityTypes.Count, snapshot.Durations.Count,
            snapshot.DurationHistograms.Count));
    }

    [Fact]
    public void Events_staged_without_a_detail_count_as_other_and_untimed()
    {
        var c = new LogCounters(10);
        c.Stage(Job, "create", "failure", null, 2);
        c.Commit();
        Assert.Empty(c.Totals.StepFailures);
        Assert.Empty(c.Totals.Durations);
        Assert.Equal([new TenantEventCounter("other", 2)], c.Totals.Initiators);
    }

    [Fact]
    public void Totals_across_commits_in_any_order_are_the_sums_sorted_by_job_and_an_untouched_row_is_the_same_object()
    {
        var c = new LogCounters(3);
        var rnd = new Random(7);
        var expected = new Dictionary<(string Sp, string Job, string Tenant, string Action, string Status), long>();
        var seconds = new Dictionary<string, double>();
        for (var commit = 0; commit < 20; commit++)
        {
            for (var i = 0; i < 30; i++)
            {
                // Two tenants whose service principals and jobs have the same ids: never one row for both.
                var (tenant, sp, job) = (rnd.Next(2) == 0 ? "t" : "u", $"sp{rnd.Next(5)}", $"job{rnd.Next(8)}");
                var action = LogNormalization.Actions[rnd.Next(LogNormalization.Actions.Count)];
                var status = LogNormalization.Statuses[rnd.Next(LogNormalization.Statuses.Count)];
                var count = rnd.Next(1, 4);
                c.Stage(new JobKey(tenant, sp, job), action, status, $"E{rnd.Next(6)}", count,
                    new EventDetail("system", "user", null, rnd.Next(EventDurations.Count), 0.25 * count));
                expected[(sp, job, tenant, action, status)] = expected.GetValueOrDefault((sp, job, tenant, action, status)) + count;
                seconds[job] = seconds.GetValueOrDefault(job) + 0.25 * count;
            }
            c.Commit();
            if (commit % 7 == 6)
            {
                c.Stage(new JobKey("t", "sp0", "job0"), "update", "failure", "discarded", 1000); // a read that failed
                c.DiscardStaged();
            }
        }
        Assert.Equal(expected.OrderBy(e => e.Key.Sp, StringComparer.Ordinal).ThenBy(e => e.Key.Job, StringComparer.Ordinal)
                .ThenBy(e => e.Key.Tenant, StringComparer.Ordinal)
                .ThenBy(e => e.Key.Action, StringComparer.Ordinal).ThenBy(e => e.Key.Status, StringComparer.Ordinal)
                .Select(e => $"{e.Key.Sp}/{e.Key.Job}/{e.Key.Tenant}/{e.Key.Action}/{e.Key.Status}={e.Value}"),
            c.Totals.Events.Select(e => $"{e.Job.ServicePrincipalId}/{e.Job.JobId}/{e.Job.TenantId}/{e.Action}/{e.Status}={e.Count}"));
        // Errors: every failure counted once, under at most 3 codes of each job's own and "other".
        Assert.Equal(c.Totals.Events.Where(e => e.Status == "failure").Sum(e => e.Count), c.Totals.Errors.Sum(e => e.Count));
        Assert.All(c.Totals.Errors.GroupBy(e => e.Job), g => Assert.True(g.Count(e => e.ErrorCode != "other") <= 3, g.Key.ToString()));
        Assert.Equal(seconds.Values.Sum(), c.Totals.Durations.Sum(d => d.Seconds), 9);
        Assert.Equal(c.Totals.Events.Sum(e => e.Count), c.Totals.DurationHistograms.Sum(h => h.Counts.Sum()));

        // A commit with nothing staged keeps the very totals; one job's events leave every other job's rows as they were.
        var before = c.Totals;
        c.Commit();
        Assert.Same(before, c.Totals);
        var first = before.Events[0];
        var last = before.Events[^1];
        c.Stage(last.Job, last.Action, last.Status, null, 1);
        c.Commit();
        Assert.Same(first, c.Totals.Events[0]);
        Assert.Equal(last.Count + 1, c.Totals.Events[^1].Count);
        Assert.Same(before.Durations, c.Totals.Durations); // an untimed event: nothing staged there
    }

    [Fact]
    public void A_duration_bucket_that_does_not_exist_is_no_duration_and_the_commit_succeeds()
    {
        var c = new LogCounters(1);
        c.Stage(Job, "update", "failure", "A", 1, new EventDetail("user", "user", null, EventDurations.Count, 1));
        c.Commit();
        Assert.Equal(1, Assert.Single(c.Totals.Events).Count);
        Assert.Empty(c.Totals.Durations);
        Assert.Empty(c.Totals.DurationHistograms);
        // The one slot went to the code that has a series.
        Assert.Equal(["A"], c.Totals.Errors.Select(e => e.ErrorCode));
    }
}
