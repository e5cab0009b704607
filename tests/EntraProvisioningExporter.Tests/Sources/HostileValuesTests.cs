using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Graph;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.LogAnalytics;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Sources;

/// <summary>The readers under the hostile values of the fault table (docs/operations.md), without HTTP.</summary>
public class HostileValuesTests
{
    private static readonly ServicePrincipalRef Sp = new("sp-1", "App");
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static string Jobs(params string[] jobs) => $"{{\"value\":[{string.Join(",", jobs)}]}}";

    private static string Job(string id, string extra = "")
        => $"{{\"id\":\"{id}\",\"templateId\":\"scim\",\"status\":{{\"code\":\"Active\"{extra}}}}}";

    // --- strings ---

    [Theory]
    [InlineData("\\ud800", "\ufffd")]               // a lone high surrogate
    [InlineData("\\udc00x", "\ufffdx")]             // a lone low surrogate
    [InlineData("\\ud800\\ud800", "\ufffd\ufffd")]  // two highs: neither has its low
    [InlineData("\\ud83d\\ude00", "😀")]            // a pair stays a pair
    [InlineData("\\\\ud800", "\\ud800")]            // an escaped backslash, then text: not an escape at all
    public void Lone_surrogate_escapes_become_U_FFFD_and_everything_else_is_kept(string escaped, string read)
    {
        var body = Encoding.UTF8.GetBytes($"{{\"s\":\"a{escaped}\"}}");
        using var doc = JsonDocument.Parse(LenientJson.Repair(body, isBatch: false));
        Assert.Equal("a" + read, doc.RootElement.GetProperty("s").GetString());
    }

    [Fact]
    public void Bytes_that_are_not_UTF_8_become_U_FFFD()
    {
        byte[] body = [.. "{\"s\":\"a"u8, 0xFF, 0xC3, .. "b\"}"u8];
        Assert.Throws<InvalidOperationException>(() => JsonDocument.Parse(body).RootElement.GetProperty("s").GetString()); // unrepaired
        using var doc = JsonDocument.Parse(LenientJson.Repair(body, isBatch: false));
        Assert.Equal("a\ufffd\ufffdb", doc.RootElement.GetProperty("s").GetString());
    }

    [Fact]
    public void A_body_that_needs_no_repair_is_returned_as_it_is()
    {
        var body = Encoding.UTF8.GetBytes(Jobs(Job("j1")));
        Assert.Same(body, LenientJson.Repair(body, isBatch: true));
    }

    [Fact]
    public void A_job_with_a_lone_surrogate_in_a_string_is_read_with_U_FFFD_and_nothing_is_dropped()
    {
        var parsed = JobPayloadParser.Parse("t", Sp,
            Jobs(Job("j1"), "{\"id\":\"j2\",\"templateId\":\"sc\\ud800im\",\"status\":{\"code\":\"Active\"}}"));
        Assert.Empty(parsed.Problems);
        Assert.Equal("sc\ufffdim", parsed.Jobs.Single(j => j.JobId == "j2").TemplateId);
    }

    // --- nesting ---

    [Fact]
    public void Jobs_nested_10000_deep_are_unreadable_as_a_whole_and_nothing_throws_but_JsonException()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.ThrowsAny<JsonException>(() => JobPayloadParser.Parse("t", Sp, $"{{\"value\":{deep}}}"));
        Assert.Equal(10_001, LenientJson.DepthOf(Encoding.UTF8.GetBytes($"{{\"value\":{deep}}}")));
    }

    [Fact]
    public void In_a_batch_only_the_inner_response_nested_too_deep_is_replaced_and_marked()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var batch = $"{{\"responses\":[{{\"id\":\"1\",\"status\":200,\"body\":{Jobs(Job("j1"))}}},{{\"id\":\"2\",\"status\":200,"
            + $"\"body\":{{\"value\":{deep}}}}}]}}";
        var repaired = LenientJson.Repair(Encoding.UTF8.GetBytes(batch), isBatch: true);
        using var doc = JsonDocument.Parse(repaired); // the default depth limit: what the SDK's batch reader uses
        var responses = doc.RootElement.GetProperty("responses");
        Assert.Equal(Jobs(Job("j1")), responses[0].GetProperty("body").GetRawText());
        Assert.Equal("2", responses[1].GetProperty("id").GetString());
        Assert.True(responses[1].GetProperty("headers").TryGetProperty(LenientJson.UnreadableHeader, out _));
    }

    // --- numbers ---

    [Fact]
    public void Negative_and_non_numeric_counts_and_times_before_1970_are_absent_and_the_job_is_kept()
    {
        var parsed = JobPayloadParser.Parse("t", Sp, Jobs(Job("j1",
            ",\"countSuccessiveCompleteFailures\":-3,\"lastExecution\":{\"countEscrowed\":-5,"
            + "\"countExported\":\"NaN\",\"countImported\":1e300,"
            + "\"timeBegan\":\"1969-07-20T20:17:00Z\",\"timeEnded\":\"2026-12-02T11:00:00Z\",\"state\":\"Succeeded\"}")));
        Assert.Empty(parsed.Problems.Select(p => p.Detail)); // the values are dropped, not the job
        var job = parsed.Jobs.Single();
        Assert.Null(job.SuccessiveCompleteFailures);
        Assert.Null(job.LastExecution!.CountEscrowed);
        Assert.Null(job.LastExecution.CountExported);
        Assert.Null(job.LastExecution.CountImported);
        Assert.Null(job.LastExecution.TimeBegan);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 11, 0, 0, TimeSpan.Zero), job.LastExecution.TimeEnded);
    }

    [Theory]
    [InlineData("-5", 1)]
    [InlineData("0", 1)]
    [InlineData("7", 7)]
    [InlineData("2.5", 2.5)]
    [InlineData("99999999999", 120)]
    [InlineData("1e308", 120)]
    [InlineData("Wed, 21 Oct 2015 07:28:00 GMT", 1)]   // a date in the past
    [InlineData("Wed, 02 Dec 2026 12:00:30 GMT", 30)]  // 30 s from now
    [InlineData("Fri, 31 Dec 9999 23:59:59 GMT", 120)] // far in the future
    public void Retry_After_is_clamped_to_1_to_120_seconds(string raw, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfter.Parse(raw, Now));

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("5 seconds")]
    public void A_Retry_After_that_cannot_be_read_is_none(string raw) => Assert.Null(RetryAfter.Parse(raw, Now));

    [Fact]
    public async Task The_clamp_handler_rewrites_a_negative_Retry_After_and_removes_garbage_before_the_SDK_sees_it()
    {
        async Task<HttpResponseHeaders> Through(string value)
        {
            var response = new HttpResponseMessage((System.Net.HttpStatusCode)429);
            response.Headers.TryAddWithoutValidation("Retry-After", value);
            using var client = new HttpClient(
                new RetryAfterClampHandler(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now))
                {
                    InnerHandler = new Answer(response)
                });
            return (await client.GetAsync("http://127.0.0.1/")).Headers;
        }
        Assert.Equal(TimeSpan.FromSeconds(1), (await Through("-5")).RetryAfter?.Delta);
        Assert.Equal(TimeSpan.FromSeconds(120), (await Through("86400")).RetryAfter?.Delta);
        Assert.False((await Through("soon")).Contains("Retry-After"));
    }

    private sealed class Answer(HttpResponseMessage response) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromResult(response);
    }

    // --- windows ---

    [Theory]
    [InlineData(-30, null)]                      // inside the range asked for
    [InlineData(-60 - 4, null)]                  // before it, within the skew
    [InlineData(-60 - 6, DropReason.OutOfWindow)] // before it, beyond the skew
    [InlineData(4, null)]                        // just past now, within the skew
    [InlineData(6, DropReason.Future)]
    [InlineData(60 * 24 * 365 * 73, DropReason.Future)] // 2099
    public void A_log_event_is_believed_only_inside_the_range_asked_for_and_not_in_the_future(int minutesFromNow, string? reason) =>
        Assert.Equal(reason, LogEventTime.Check(Now.AddMinutes(minutesFromNow), Now.AddHours(-1), Now, Now));

    [Fact]
    public void An_event_dated_before_1970_is_out_of_the_window_whatever_was_asked() =>
        Assert.Equal(DropReason.OutOfWindow,
            LogEventTime.Check(new DateTimeOffset(1969, 1, 1, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.MinValue.AddYears(1), Now, Now));

    private static LogsTable Table(string columns, params string[] rows) =>
        LogsQueryClient.Parse(Encoding.UTF8.GetBytes($"{{\"tables\":[{{\"name\":\"PrimaryResult\",\"columns\":[{columns}],"
            + $"\"rows\":[{string.Join(",", rows)}]}}]}}")).Table;

    /// <summary>The increments query's group-by columns, and the timing column after its Events.</summary>
    private static readonly string[] IncrementKeys =
        ["JobId", "ServicePrincipalId", "ProvisioningAction", "ResultType", "ResultSignature",
            "InitiatorType", "IdentityType", "FailedStep", "DurationBucket"];

    private static readonly string[] IncrementTimings = ["TotalDurationMs"];

    private static string Columns(params string[] names)
        => string.Join(",",
        names.Select(n => $"{{\"name\":\"{n}\",\"type\":\"{(n is "JobId" or "ServicePrincipalId" or "ProvisioningAction" or "ResultType"
            or "ResultSignature" or "InitiatorType" or "IdentityType" or "FailedStep"
            ? "string" : n == "LastEvent" ? "datetime" : "long")}\"}}"));

    [Fact]
    public void Log_Analytics_count_rows_with_negative_absurd_or_unreadable_counts_are_dropped_alone()
    {
        var table = Table(Columns([.. IncrementKeys, "Events", .. IncrementTimings]),
            "[\"good\",\"sp\",\"Create\",\"Success\",\"None\",\"system\",\"User\",\"\",-1,3,0]",
            "[\"neg\",\"sp\",\"Create\",\"Success\",\"None\",\"system\",\"User\",\"\",-1,-5,0]",
            "[\"huge\",\"sp\",\"Create\",\"Success\",\"None\",\"system\",\"User\",\"\",-1,9223372036854775807,0]",
            "[\"text\",\"sp\",\"Create\",\"Success\",\"None\",\"system\",\"User\",\"\",-1,\"many\",0]",
            $"[\"{new string('x', 2000)}\",\"sp\",\"Create\",\"Success\",\"None\",\"system\",\"User\",\"\",-1,1,0]");
        var counters = new LogCounters(10);
        var dropped = new List<(string Reason, string? Id, string Detail)>();
        LogAnalyticsRows.Increments("t", table, counters, dropped);
        counters.Commit();
        Assert.Equal(("good", 3L), counters.Totals.Events.Select(e => (e.Job.JobId, e.Count)).Single());
        Assert.Equal([("neg", DropReason.BadValue), ("huge", DropReason.BadValue), ("text", DropReason.Invalid),
            (new string('x', 2000), DropReason.IdTooLong)],
            dropped.Select(d => (d.Id, d.Reason)));
    }

    [Fact]
    public void Log_Analytics_durations_that_do_not_fit_their_bucket_leave_the_rows_events_counted_but_untimed_and_say_so()
    {
        var table = Table(Columns([.. IncrementKeys, "Events", .. IncrementTimings]),
            "[\"good\",\"sp\",\"Update\",\"Failure\",\"E\",\"User\",\"Group\",\"Export\",4,3,30000]",
            "[\"bad\",\"sp\",\"Update\",\"Success\",\"None\",\"system\",\"User\",\"\",-2,3,0]",
            "[\"too-fast\",\"sp\",\"Update\",\"Success\",\"None\",\"system\",\"User\",\"\",3,3,100]",
            "[\"negative\",\"sp\",\"Update\",\"Success\",\"None\",\"system\",\"User\",\"\",0,1,-100]",
            "[\"no-bucket\",\"sp\",\"Update\",\"Success\",\"None\",\"system\",\"User\",\"\",42,1,100]",
            "[\"unreadable\",\"sp\",\"Update\",\"Success\",\"None\",\"system\",\"User\",\"\",\"two\",2,100]",
            "[\"untimed\",\"sp\",\"Update\",\"Success\",\"None\",\"robot\",\"\",\"\",-1,5,0]",
            "[\"half-bucket\",\"sp\",\"Update\",\"Success\",\"None\",\"system\",\"User\",\"\",2.5,1,600]",
            "[\"no-total\",\"sp\",\"Update\",\"Success\",\"None\",\"system\",\"User\",\"\",0,1,null]",
            "[\"no-events\",\"sp\",\"Update\",\"Success\",\"None\",\"system\",\"User\",\"\",3,0,0]");
        var counters = new LogCounters(10);
        var dropped = new List<(string Reason, string? Id, string Detail)>();
        LogAnalyticsRows.Increments("t", table, counters, dropped);
        counters.Commit();
        Assert.Equal(20, counters.Totals.Events.Sum(e => e.Count)); // every row's events count, timed or not
        Assert.Equal([("good", 3L, 30.0)], counters.Totals.Durations.Select(d => (d.Job.JobId, d.Count, d.Seconds)));
        var update = Assert.Single(counters.Totals.DurationHistograms);
        Assert.Equal(("update", 3L, 30.0), (update.Action, update.Counts[4], update.Seconds[4])); // (5 s, 30 s]
        Assert.Equal(3, update.Counts.Sum());
        Assert.Equal([new StepFailureCounter(new JobKey("t", "sp", "good"), "export", 3)], counters.Totals.StepFailures);
        Assert.Equal([new TenantEventCounter("other", 5), new TenantEventCounter("system", 12), new TenantEventCounter("user", 3)],
            counters.Totals.Initiators);
        Assert.Equal(["bad", "too-fast", "negative", "no-bucket", "unreadable", "half-bucket", "no-total"], dropped.Select(d => d.Id));
        Assert.All(dropped, d => Assert.Equal(DropReason.BadValue, d.Reason));
        Assert.Contains("negative or absurd DurationMs", dropped[0].Detail);
    }

    [Fact]
    public void Log_Analytics_window_rows_dated_in_the_future_or_before_the_lookback_are_dropped_and_do_not_set_the_last_event()
    {
        var columns = Columns("JobId", "ServicePrincipalId", "Success", "Failure", "Skipped", "Warning", "LastEvent");
        var table = Table(columns,
            $"[\"good\",\"sp\",1,0,0,0,\"{Now.AddMinutes(-10):O}\"]",
            "[\"future\",\"sp\",1,0,0,0,\"2099-01-01T00:00:00Z\"]",
            "[\"old\",\"sp\",1,0,0,0,\"2001-01-01T00:00:00Z\"]",
            $"[\"negative\",\"sp\",-1,0,0,0,\"{Now.AddMinutes(-10):O}\"]");
        var dropped = new List<(string Reason, string? Id, string Detail)>();
        var windows = LogAnalyticsRows.Windows("t", table, Now.AddDays(-30), Now, dropped);
        Assert.Equal("good", windows.Single().Job.JobId);
        Assert.Equal(Now.AddMinutes(-10), windows.Single().LastEvent);
        Assert.Equal([("future", DropReason.Future), ("old", DropReason.OutOfWindow), ("negative", DropReason.BadValue)],
            dropped.Select(d => (d.Id, d.Reason)));
    }

    [Fact]
    public void A_table_without_a_column_the_reader_needs_still_fails_as_a_whole()
    {
        var table = Table(Columns("JobId", "Events"), "[\"a\",1]");
        Assert.Throws<MissingColumnException>(() => LogAnalyticsRows.Increments("t", table, new LogCounters(10), []));
    }

    // --- sizes ---

    [Fact]
    public void A_job_id_over_the_label_cap_drops_its_job_and_the_others_are_kept()
    {
        var huge = new string('j', 1_000_000);
        var parsed = JobPayloadParser.Parse("t", Sp, Jobs(Job("j1"), Job(huge), Job("j3")));
        Assert.Equal(["j1", "j3"], parsed.Jobs.Select(j => j.JobId));
        var problem = Assert.Single(parsed.Problems);
        Assert.Equal(DropReason.IdTooLong, problem.DropReason);
    }

    [Fact]
    public void Names_over_the_label_cap_are_cut_with_a_marker_within_the_cap()
    {
        var name = LabelCap.Name(string.Concat(Enumerable.Repeat("東京💥", 200_000)));
        Assert.EndsWith(LabelCap.Marker, name, StringComparison.Ordinal);
        Assert.InRange(Encoding.UTF8.GetByteCount(name), LabelCap.MaxBytes - 4, LabelCap.MaxBytes);
        Assert.DoesNotContain('\ufffd', Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(name))); // never cut inside a surrogate pair
        Assert.Equal("short", LabelCap.Name("short"));
        Assert.True(LabelCap.IdFits(new string('a', LabelCap.MaxBytes)));
        Assert.False(LabelCap.IdFits(new string('a', LabelCap.MaxBytes + 1)));
        Assert.False(LabelCap.IdFits(new string('é', LabelCap.MaxBytes / 2 + 1))); // bytes, not characters
    }

    [Fact]
    public void A_job_with_a_megabyte_template_and_thousands_of_entry_types_stays_bounded()
    {
        var types = string.Join(",", Enumerable.Range(0, 5_000).Select(i => $"{{\"key\":\"{i}{new string('k', 2_000)}\",\"value\":{i}}}"));
        var parsed = JobPayloadParser.Parse("t", new ServicePrincipalRef("sp", new string('n', 1_000_000)),
            Jobs($"{{\"id\":\"j1\",\"templateId\":\"{new string('t', 1_000_000)}\",\"status\":{{\"code\":\"Active\","
                + $"\"synchronizedEntryCountByType\":[{types}]}}}}"));
        var job = parsed.Jobs.Single();
        Assert.True(Encoding.UTF8.GetByteCount(job.TemplateId) <= LabelCap.MaxBytes);
        Assert.True(Encoding.UTF8.GetByteCount(job.AppName) <= LabelCap.MaxBytes);
        Assert.Equal(LabelCap.MaxEntriesPerJob, job.SynchronizedEntries.Count);
        Assert.All(job.SynchronizedEntries, e => Assert.True(Encoding.UTF8.GetByteCount(e.Key) <= LabelCap.MaxBytes));
    }

    // --- paging ---

    [Fact]
    public void A_jobs_page_gives_its_next_link()
    {
        var parsed = JobPayloadParser.Parse("t", Sp, "{\"value\":[" + Job("j1") + "],\"@odata.nextLink\":\"https://graph/next\"}");
        Assert.Equal("https://graph/next", parsed.NextLink);
        Assert.Null(JobPayloadParser.Parse("t", Sp, Jobs(Job("j1"))).NextLink);
    }

    [Fact]
    public void A_job_id_listed_twice_keeps_the_first_and_drops_the_second()
    {
        var parsed = JobPayloadParser.Parse("t", Sp, Jobs(Job("j1"), Job("j1", ",\"countSuccessiveCompleteFailures\":9")));
        Assert.Null(Assert.Single(parsed.Jobs).SuccessiveCompleteFailures);
        Assert.Equal(DropReason.Invalid, Assert.Single(parsed.Problems).DropReason);
    }

    private static (Microsoft.Graph.Models.ProvisioningObjectSummary? Event, List<string> Lost) GraphEvent(string fields)
    {
        using var doc = JsonDocument.Parse(
            $$"""{"id":"e1","jobId":"j1","activityDateTime":"2026-03-01T11:59:00Z","provisioningAction":"update",{{fields}}}""");
        var lost = new List<string>();
        var e = GraphLogSource.ReadEvent(doc.RootElement, out var problem, lost);
        Assert.Null(problem);
        return (e, lost);
    }

    [Theory]
    [InlineData("\"durationInMilliseconds\":1e3", 1000)]
    [InlineData("\"durationInMilliseconds\":1200.0", 1200)]
    [InlineData("\"durationInMilliseconds\":1200", 1200)]
    public void A_graph_duration_written_as_an_integral_number_is_read_as_that_integer(string field, int ms)
    {
        var (e, lost) = GraphEvent(field);
        Assert.Equal(ms, e!.DurationInMilliseconds);
        Assert.Empty(lost);
    }

    [Theory]
    [InlineData("\"durationInMilliseconds\":2147483648", "durationInMilliseconds 2147483648 is not a duration")]
    [InlineData("\"durationInMilliseconds\":2.5", "durationInMilliseconds 2.5 is not a duration")]
    [InlineData("\"durationInMilliseconds\":\"1200\"", "durationInMilliseconds \"1200\" is not a duration")]
    [InlineData("\"durationInMilliseconds\":true", "durationInMilliseconds true is not a duration")]
    [InlineData("\"initiatedBy\":\"user\"", "initiatedBy is not an object")]
    [InlineData("\"initiatedBy\":{\"initiatorType\":1}", "initiatedBy.initiatorType is not a string")]
    [InlineData("\"sourceIdentity\":[1]", "sourceIdentity is not an object")]
    [InlineData("\"sourceIdentity\":{\"identityType\":{}}", "sourceIdentity.identityType is not a string")]
    [InlineData("\"provisioningSteps\":{\"a\":1}", "provisioningSteps is not an array")]
    [InlineData("\"provisioningSteps\":[{\"provisioningStepType\":3,\"status\":\"failure\"},"
        + "{\"provisioningStepType\":\"export\",\"status\":\"failure\"}]",
        "a provisioning step's provisioningStepType or status is not a string")]
    public void A_graph_event_value_of_the_wrong_shape_is_lost_alone_and_said_so_and_the_event_is_read(string field, string loss)
    {
        var (e, lost) = GraphEvent(field);
        Assert.NotNull(e);
        Assert.Equal("update", e.ProvisioningAction?.ToString()?.ToLowerInvariant());
        Assert.StartsWith(loss, Assert.Single(lost));
        Assert.Null(e.DurationInMilliseconds);
        if (field.Contains("provisioningSteps", StringComparison.Ordinal) && field.Contains("export", StringComparison.Ordinal))
            Assert.Equal("Export", Assert.Single(e.ProvisioningSteps!).ProvisioningStepType.ToString()); // the readable step stays
    }
}
