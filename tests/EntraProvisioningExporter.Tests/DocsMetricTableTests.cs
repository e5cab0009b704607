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

    /// <summary>The labels every job or tenant series has; a family with any other label has a bound to document.</summary>
    private static readonly HashSet<string> IdentityLabels = ["tenant_id", "service_principal_id", "job_id", "source"];

    [Fact]
    public void Every_family_with_a_label_of_its_own_is_in_the_bounds_table()
    {
        var doc = MetricsDoc();
        var start = doc.IndexOf("## Label and series bounds", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/metrics.md has no bounds section");
        var end = doc.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        var rows = doc[start..end].Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('|')[1]).ToList();
        var named = rows.SelectMany(r => Regex.Matches(r, "`([^`]+)`").Select(m => m.Groups[1].Value)).ToList();
        bool Covered(string family) => named.Any(n =>
            n == family || (n.Contains('*') && MetricSelection.Matches(n, family))
                || (n.StartsWith('…') && family.EndsWith(n[1..], StringComparison.Ordinal)));
        var labelled = MetricTable.BuildAll(new ExporterOptions()).Families.Where(f => f.LabelNames.Any(l => !IdentityLabels.Contains(l)))
            .Select(f => f.Name).ToList();
        Assert.True(labelled.Count >= 15, $"only {labelled.Count} labelled families");
        var missing = labelled.Where(f => !Covered(f)).ToList();
        Assert.True(missing.Count == 0, "Not in the bounds table of docs/metrics.md: " + string.Join(", ", missing));
    }
}
