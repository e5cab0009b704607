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
        Assert.Empty(c.Events());
        c.Commit();
        c.Stage(Job, "update", "success", null, 3);
        c.DiscardStaged();
        c.Commit();
        Assert.Equal(5, Assert.Single(c.Events()).Count);
    }

    [Fact]
    public void Failures_count_by_error_code_and_a_failure_without_one_is_unspecified()
    {
        var c = new LogCounters(10);
        c.Stage(Job, "update", "failure", "A", 2);
        c.Stage(Job, "create", "failure", null, 1);
        c.Stage(Job, "update", "success", "ignored-for-successes", 9);
        c.Commit();
        Assert.Equal([("A", 2L), ("unspecified", 1L)], c.Errors().Select(e => (e.ErrorCode, e.Count)));
    }

    [Fact]
    public void Error_codes_are_bounded_most_frequent_first_and_admitted_codes_keep_their_series()
    {
        var c = new LogCounters(2);
        c.Stage(Job, "update", "failure", "rare", 1);
        c.Stage(Job, "update", "failure", "common", 50);
        c.Stage(Job, "update", "failure", "middle", 10);
        c.Commit();
        Assert.Equal([("common", 50L), ("middle", 10L), ("other", 1L)], c.Errors().OrderByDescending(e => e.Count).Select(e => (e.ErrorCode, e.Count)));

        // A new, even more frequent code cannot take an admitted code's series: it counts as other.
        c.Stage(Job, "update", "failure", "new", 500);
        c.Stage(Job, "update", "failure", "middle", 1);
        c.Commit();
        var errors = c.Errors().ToDictionary(e => e.ErrorCode, e => e.Count);
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
        Assert.Equal(["A", "B"], c.Errors().Select(e => e.ErrorCode).Order());
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
            var total = c.Events().Sum(e => e.Count);
            Assert.True(total >= previous);
            Assert.Equal(c.Events().Where(e => e.Status == "failure").Sum(e => e.Count), c.Errors().Sum(e => e.Count));
            previous = total;
        }
    }

    [Fact]
    public void Window_failure_ratio_excludes_skipped_and_is_absent_without_events()
    {
        Assert.Equal(0.25, new JobWindow(Job, Success: 2, Failure: 1, Skipped: 100, Warning: 1, null).FailureRatio);
        Assert.Null(new JobWindow(Job, 0, 0, 5, 0, null).FailureRatio);
    }
}
