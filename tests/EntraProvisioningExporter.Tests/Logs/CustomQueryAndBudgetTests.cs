using System.Text;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.LogAnalytics;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Logs;

public class CustomQueryAndBudgetTests
{
    private static LogsTable Table(string columns, params string[] rows) =>
        LogsQueryClient.Parse(Encoding.UTF8.GetBytes($"{{\"tables\":[{{\"name\":\"PrimaryResult\",\"columns\":[{columns}],"
            + $"\"rows\":[{string.Join(",", rows)}]}}]}}")).Table;

    private const string Columns = "{\"name\":\"App\",\"type\":\"string\"},{\"name\":\"Code\",\"type\":\"string\"},"
        + "{\"name\":\"Failures\",\"type\":\"long\"}";

    [Fact]
    public void Rows_become_samples_with_tenant_and_label_columns()
    {
        var q = new CustomQueryOptions
        {
            Name = "contoso_failures", Query = "…", ValueColumn = "Failures", LabelColumns = ["App", "Code"]
        };
        var result = CustomQueryMapper.Map("t1", q, Table(Columns, "[\"Slack\",\"E1\",3]", "[\"Box\",null,5]"));
        Assert.Equal(0, result.DroppedSeries);
        Assert.Equal([[new("tenant_id", "t1"), new("App", "Slack"), new("Code", "E1")],
            [new("tenant_id", "t1"), new("App", "Box"), new("Code", "")]],
            result.Samples.Select(s => s.Labels));
        Assert.Equal([3.0, 5.0], result.Samples.Select(s => s.Value));
    }

    [Fact]
    public void Series_are_bounded_and_duplicates_and_empty_values_dropped_and_counted()
    {
        var q = new CustomQueryOptions { Name = "x", Query = "…", ValueColumn = "Failures", LabelColumns = ["App"], MaxSeries = 2 };
        var result = CustomQueryMapper.Map("t1", q,
            Table(Columns, "[\"A\",\"\",1]", "[\"A\",\"\",2]", "[\"B\",\"\",null]", "[\"C\",\"\",3]", "[\"D\",\"\",4]"));
        Assert.Equal([1.0, 3.0], result.Samples.Select(s => s.Value));
        Assert.Equal(3, result.DroppedSeries);
    }

    [Fact]
    public void A_declared_column_missing_from_the_result_is_an_error_naming_it()
    {
        var q = new CustomQueryOptions { Name = "x", Query = "…", ValueColumn = "Count", LabelColumns = [] };
        var ex = Assert.Throws<MissingColumnException>(() => CustomQueryMapper.Map("t1", q, Table(Columns)));
        Assert.Contains("'Count'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_budget_allows_its_capacity_per_10_seconds_plus_a_margin_then_waits()
    {
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var time = new SchedulingFakeTimeProvider(start);
        var budget = new RequestBudget(5, time);
        Assert.Equal(TimeSpan.FromSeconds(11), RequestBudget.Period);
        for (var i = 0; i < 5; i++) await budget.AcquireAsync(CancellationToken.None);
        var sixth = budget.AcquireAsync(CancellationToken.None);
        Assert.False(sixth.IsCompleted);
        Assert.Equal(start + RequestBudget.Period, time.NextOneShotDue); // the sixth waits on the clock until then
        time.Advance(TimeSpan.FromSeconds(10.5)); // past Microsoft's 10 s, inside our margin
        Assert.False(sixth.IsCompleted);
        Assert.Equal(start + RequestBudget.Period, time.NextOneShotDue);
        time.Advance(TimeSpan.FromSeconds(0.5));
        await sixth.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_request_that_would_wait_past_the_deadline_is_refused_at_once()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var budget = new RequestBudget(2, time) { Deadline = new DateTimeOffset(2026, 3, 1, 12, 0, 5, TimeSpan.Zero) };
        await budget.AcquireAsync(CancellationToken.None);
        await budget.AcquireAsync(CancellationToken.None);
        await Assert.ThrowsAsync<RequestBudgetExhaustedException>(() => budget.AcquireAsync(CancellationToken.None));
    }
}

public class RequestBudgetDeadlineTests
{
    [Fact]
    public async Task No_request_starts_after_the_deadline_even_with_budget_left()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var budget = new RequestBudget(5, time) { Deadline = new DateTimeOffset(2026, 3, 1, 12, 0, 30, TimeSpan.Zero) };
        await budget.AcquireAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(31));
        await Assert.ThrowsAsync<RequestBudgetExhaustedException>(() => budget.AcquireAsync(CancellationToken.None));
    }
}
