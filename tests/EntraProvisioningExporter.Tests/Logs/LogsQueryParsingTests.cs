using System.Text;
using EntraProvisioningExporter.Sources.LogAnalytics;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Logs;

public class LogsQueryParsingTests
{
    private static LogsQueryResult Parse(string json) => LogsQueryClient.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Typed_columns_are_read_by_name()
    {
        var table = Parse(Fixture.Read("loganalytics/typed-columns.json")).Table;
        Assert.Equal("PrimaryResult", table.Name);
        Assert.Equal(7, table.Columns.Count);
        var row = table.Rows[0];
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 11, 58, 12, TimeSpan.Zero).AddTicks(3456789), row.GetDateTimeOffset("TimeGenerated"));
        Assert.Equal("scim.1.a", row.GetString("JobId"));
        Assert.Equal(42, row.GetInt64("Events"));
        Assert.Equal(0.25, row.GetDouble("Ratio"));
        Assert.Equal(1, row.GetDouble("Partial"));
    }

    [Fact]
    public void Dynamic_columns_arrive_as_JSON_strings_or_objects_and_are_parsed()
    {
        var table = Parse(Fixture.Read("loganalytics/typed-columns.json")).Table;
        var sp = table.Rows[0].GetDynamic("ServicePrincipal")!.Value;
        Assert.Equal("acea479c-60f6-f2de-2b6e-6f10ce024ed8", sp.GetProperty("Id").GetString());
        Assert.Equal("Contoso SCIM App", sp.GetProperty("Name").GetString());
        Assert.Equal(2, table.Rows[0].GetDynamic("Nested")!.Value.GetProperty("k").GetArrayLength());
        Assert.Null(table.Rows[2].GetDynamic("ServicePrincipal"));                 // empty string
        Assert.Equal("not json", table.Rows[2].GetDynamic("Nested")!.Value.GetString()); // a plain string stays one
    }

    [Fact]
    public void Nulls_stay_null_and_numbers_as_strings_are_read()
    {
        var table = Parse(Fixture.Read("loganalytics/typed-columns.json")).Table;
        var empty = table.Rows[1];
        Assert.Null(empty.GetDateTimeOffset("TimeGenerated"));
        Assert.Null(empty.GetString("JobId"));
        Assert.Null(empty.GetInt64("Events"));
        Assert.Null(empty.GetDouble("Ratio"));
        Assert.Null(empty.GetDynamic("ServicePrincipal"));
        Assert.Equal(7, table.Rows[2].GetInt64("Events"));
        Assert.True(double.IsNaN(table.Rows[2].GetDouble("Ratio")!.Value));
    }

    [Fact]
    public void A_partial_error_is_a_partial_failure_with_its_code()
    {
        var result = Parse(Fixture.Read("loganalytics/partial-error.json"));
        Assert.Equal(LogsQueryResultStatus.PartialFailure, result.Status);
        Assert.Equal("PartialError", result.Error!.Code);
        Assert.Single(result.Table.Rows);
    }

    [Fact]
    public void A_complete_result_is_a_success()
    {
        Assert.Equal(LogsQueryResultStatus.Success, Parse(Fixture.Read("loganalytics/typed-columns.json")).Status);
    }

    [Fact]
    public void A_missing_column_is_an_error_naming_it()
    {
        var table = Parse(Fixture.Read("loganalytics/typed-columns.json")).Table;
        var ex = Assert.Throws<MissingColumnException>(() => table.Rows[0].GetString("ResultType"));
        Assert.Contains("'ResultType'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("JobId", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"tables\":{}}")]
    [InlineData("{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[{\"name\":\"A\",\"type\":\"long\"}]}]}")]
    [InlineData("{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[{\"name\":\"A\",\"type\":\"long\"}],\"rows\":[[1,2]]}]}")]
    [InlineData("[]")]
    public void An_unexpected_table_shape_is_an_InvalidDataException(string json)
    {
        Assert.Throws<InvalidDataException>(() => Parse(json));
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_an_error_naming_the_column()
    {
        var table = Parse("{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[{\"name\":\"Events\","
            + "\"type\":\"long\"}],\"rows\":[[\"many\"]]}]}").Table;
        var ex = Assert.Throws<InvalidDataException>(() => table.Rows[0].GetInt64("Events"));
        Assert.Contains("'Events'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Time_range_is_an_ISO_8601_interval()
    {
        var range = new QueryTimeRange(new DateTimeOffset(2026, 3, 1, 11, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(1)));
        Assert.Equal("2026-03-01T11:00:00.0000000Z/2026-03-01T11:00:00.0000000Z", range.ToIsoString());
    }

    [Fact]
    public void Current_cycle_rows_without_a_job_a_cycle_id_or_times_are_skipped_and_bad_counts_are_zero()
    {
        var cycles = CurrentCycleMapper.Map("t", Parse(Fixture.Read("loganalytics/current-cycles.json")).Table);
        Assert.Equal(["box.1.a", "gsuite.1.a"], cycles.Select(c => c.Job.JobId));
        var box = cycles[0];
        Assert.Equal((7L, 0L, 0L), (box.Deletes, box.Disables, box.StagedDeletes)); // "7" as a string, null, and -2 (never negative)
        var gsuite = cycles[1];
        Assert.Equal(new JobKey("t", "sp-b", "gsuite.1.a"), gsuite.Job);
        Assert.Equal(("6f0c7c8e-1d2a-4c61-9a7e-0e5f3b2a1c9d", 450L, 40L), (gsuite.CycleId, gsuite.Deprovisions, gsuite.StagedDeletes));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), gsuite.Started);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 12, 40, 0, TimeSpan.Zero), gsuite.LastEvent);
    }
}
