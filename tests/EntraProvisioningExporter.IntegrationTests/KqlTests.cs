using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// Every KQL query the exporter sends, and the documented custom query, parsed and type-checked by Microsoft's Kusto
/// language service against the documented AADProvisioningLogs schema (the simulator only pattern-matches them).
/// </summary>
[LongRunning, Collection(nameof(KqlTests)), CollectionDefinition(nameof(KqlTests))]
public class KqlTests
{
    /// <summary>
    /// Every built-in query: each public static method of <see cref="LogAnalyticsQueries"/>, found by reflection so a new
    /// one cannot be left out, called with distinct instants (the log sources send nothing else but custom queries).
    /// </summary>
    public static IReadOnlyList<KqlQuery> BuiltInQueries()
    {
        var methods = typeof(LogAnalyticsQueries).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(string)).ToList();
        var at = new DateTimeOffset(2026, 12, 1, 10, 30, 15, 250, TimeSpan.Zero);
        return methods.Select(m =>
        {
            var parameters = m.GetParameters();
            Assert.All(parameters, p => Assert.Equal(typeof(DateTimeOffset), p.ParameterType));
            var arguments = parameters.Select((_, i) => (object)at.AddMinutes(-15 * (parameters.Length - i))).ToArray();
            return new KqlQuery(m.Name, (string)m.Invoke(null, arguments)!);
        }).ToList();
    }

    [Fact]
    public async Task Every_built_in_query_parses_and_type_checks_with_no_diagnostic()
    {
        var queries = BuiltInQueries();
        Assert.True(queries.Count >= 3, $"found only {queries.Count} built-in queries");
        var results = await KqlCheck.RunAsync(queries);
        Assert.Equal(queries.Count, results.Count);
        foreach (var r in results)
        {
            Assert.True(r.Valid, r.ToString());
            Assert.True(r.Problems.Count == 0, $"{r.Name} has warnings or notes: {r}");
            // The columns the log sources read by name are in each result.
            Assert.Contains("JobId:string", r.Columns);
            Assert.Contains("ServicePrincipalId:string", r.Columns);
        }
    }

    [Fact]
    public async Task The_documented_custom_query_is_valid_with_its_value_and_label_columns()
    {
        var docs = await File.ReadAllTextAsync(Repo.Path("docs", "metrics.md"));
        var block = Regex.Match(docs, "### Custom queries.*?```json\\s*(?<json>.*?)```", RegexOptions.Singleline).Groups["json"].Value;
        using var example = JsonDocument.Parse("{" + block + "}");
        var queries = example.RootElement.GetProperty("Logs").GetProperty("CustomQueries").EnumerateArray().Select(q => new KqlQuery(
            q.GetProperty("Name").GetString()!, q.GetProperty("Query").GetString()!, q.GetProperty("ValueColumn").GetString(),
            q.GetProperty("LabelColumns").EnumerateArray().Select(l => l.GetString()!).ToList())).ToList();
        Assert.NotEmpty(queries);
        foreach (var r in await KqlCheck.RunAsync(queries)) Assert.True(r.Valid, r.ToString());
    }

    /// <summary>The checker is not vacuous: each of these is refused, for the reason given.</summary>
    [Theory]
    [InlineData("AADProvisioningLogs | where Action == 'Create'", null, "KS142")] // Microsoft's sample column, not in the table
    [InlineData("AADProvisioningLogs | where DurationMs > 'slow'", null, "KS106")]
    [InlineData("AADProvisioningLogs | where (TimeGenerated > ago(1h)", null, "KS005")]
    [InlineData("AADProvisioningLog | count", null, "KS204")]
    [InlineData("AADProvisioningLogs | summarize by JobId", "JobId", "valueColumn: column 'JobId' is string")]
    [InlineData("AADProvisioningLogs | summarize N = count() by JobId", "Events", "valueColumn: the result has no column 'Events'")]
    public async Task An_invalid_query_or_column_is_refused(string query, string? valueColumn, string expected)
    {
        var result = Assert.Single(await KqlCheck.RunAsync([new KqlQuery("bad", query, valueColumn)]));
        Assert.False(result.Valid, result.ToString());
        Assert.Contains(result.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_label_column_the_result_lacks_is_refused()
    {
        var result = Assert.Single(await KqlCheck.RunAsync([new KqlQuery("bad", "AADProvisioningLogs | summarize N = count() by JobId", "N",
            ["JobId", "AppName"])]));
        Assert.False(result.Valid, result.ToString());
        Assert.Equal(["Error labelColumns: the result has no column 'AppName'"], result.Problems);
    }
}
