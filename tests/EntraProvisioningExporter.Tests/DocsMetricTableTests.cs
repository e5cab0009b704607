using System.Text.RegularExpressions;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;

namespace EntraProvisioningExporter.Tests;

/// <summary>The metric reference (docs/metrics.md) and the metric table in the code name the same families, with the same types.</summary>
public partial class DocsMetricTableTests
{
    [GeneratedRegex(@"^\| `(?<name>(entra)_[a-z0-9_]+)` \| (?<type>counter|gauge|histogram) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    private static string MetricsDoc() => File.ReadAllText(Path.Combine(Docs.Root, "docs", "metrics.md"));

    /// <summary>Every family of the table, with a custom query declared so none of the table's groups is empty.</summary>
    private static Dictionary<string, string> FamiliesInCode() =>
        MetricTable.Build(new ExporterOptions()).Families.ToDictionary(f => f.Name, f => f.Kind.ToString().ToLowerInvariant());

    [Fact]
    public void Every_metric_in_the_code_is_documented_with_its_type_and_no_other()
    {
        var documented = TableRow().Matches(MetricsDoc()).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value);
        var inCode = FamiliesInCode();
        Assert.True(inCode.Count >= 50, $"only {inCode.Count} families found");
        var undocumented = inCode.Keys.Except(documented.Keys).Order().ToList();
        Assert.True(undocumented.Count == 0, "Missing from docs/metrics.md: " + string.Join(", ", undocumented));
        var stale = documented.Keys.Except(inCode.Keys).Order().ToList();
        Assert.True(stale.Count == 0, "In docs/metrics.md but not in the code: " + string.Join(", ", stale));
        Assert.All(inCode, kv => Assert.Equal(kv.Value, documented[kv.Key]));
    }
}
