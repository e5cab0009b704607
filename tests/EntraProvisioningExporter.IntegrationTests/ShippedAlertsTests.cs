using System.Text.RegularExpressions;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Metrics;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// The families each shipped alert needs, derived from the rules file's PromQL (through its recording rules): the
/// exporter's copy (Metrics/ShippedAlerts.cs, which the start-up warning reads) and docs/alerts.md's table say the same.
/// </summary>
public partial class ShippedAlertsTests
{
    /// <summary>A recording rule's name (level:metric:operations) or one of the exporter's series.</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9_:])([a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+|(?:entra|process|dotnet)_[a-z0-9_]+)")]
    private static partial Regex SeriesName();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"^\| `(?<alert>[A-Za-z]+)` \| (?<families>.*) \|$", RegexOptions.Multiline)]
    private static partial Regex DocsRow();

    private static IReadOnlySet<string> NamesIn(string expr) =>
        SeriesName().Matches(StringLiteral().Replace(expr, "\"\"")).Select(m => m.Value).ToHashSet();

    /// <summary>Alert → families, from the rules file alone.</summary>
    public static Dictionary<string, List<string>> FromRules()
    {
        var rules = Monitoring.Groups().SelectMany(g => g.Rules).ToList();
        var recorded = rules.Where(r => r.Recorded).ToDictionary(r => r.Name, r => NamesIn(r.Expr));
        var families = MetricTable.BuildAll(new ExporterOptions()).Families.ToDictionary(f => f.Name);
        IEnumerable<string> Families(string name)
        {
            if (recorded.TryGetValue(name, out var inner)) return inner.SelectMany(Families);
            if (families.ContainsKey(name)) return [name];
            foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
                if (name.EndsWith(suffix, StringComparison.Ordinal) && families.TryGetValue(name[..^suffix.Length], out var h)
                    && h.Kind == MetricKind.Histogram)
                    return [h.Name];
            throw new InvalidOperationException($"The rules read '{name}', which is neither a recording rule "
                + "nor a family of the metric table.");
        }
        return rules.Where(r => !r.Recorded)
            .ToDictionary(r => r.Name, r => NamesIn(r.Expr).SelectMany(Families).Distinct().Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void The_exporters_table_of_alert_families_is_the_rules_files()
    {
        var fromRules = FromRules();
        Assert.True(fromRules.Count >= 17, $"only {fromRules.Count} alerts");
        Assert.Contains("entra_provisioning_events_total", fromRules["EntraProvisioningFailureAnomaly"]); // through two recording rules
        Assert.Equal(fromRules.Keys.Order(), ShippedAlerts.FamiliesByAlert.Keys.Order());
        Assert.All(fromRules, kv => Assert.Equal(kv.Value, ShippedAlerts.FamiliesByAlert[kv.Key].Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Docs_list_the_families_of_every_alert_as_the_rules_file_has_them()
    {
        var docs = File.ReadAllText(Repo.Path("docs", "alerts.md"));
        var section = docs[docs.IndexOf("### The families each alert needs", StringComparison.Ordinal)..docs.IndexOf("## Runbooks",
            StringComparison.Ordinal)];
        var documented = DocsRow().Matches(section).ToDictionary(m => m.Groups["alert"].Value,
            m => Regex.Matches(m.Groups["families"].Value, "`([a-z0-9_]+)`").Select(x => x.Groups[1].Value).Where(f => f != "up")
                .Order(StringComparer.Ordinal).ToList());
        var fromRules = FromRules();
        Assert.Equal(fromRules.Keys.Order(), documented.Keys.Order());
        Assert.All(fromRules, kv => Assert.Equal(kv.Value, documented[kv.Key]));
    }

    [Fact]
    public void The_lean_profile_silences_no_shipped_alert_and_leaving_out_job_info_silences_the_job_alerts()
    {
        var lean = Yaml.Documents(File.ReadAllText(Repo.Path("charts", "entra-provisioning-exporter", "ci", "lean-values.yaml"))).Single();
        var options = new ExporterOptions();
        options.Metrics.Exclude.AddRange(lean["exporter"]!["metrics"]!["exclude"]!.AsArray().Select(p => (string)p!));
        Assert.NotEmpty(options.Metrics.Exclude);
        Assert.Empty(ShippedAlerts.SilencedBy(MetricSelection.Of(options)));
        var noInfo = new ExporterOptions { Metrics = { Exclude = ["entra_provisioning_job_info"] } };
        var silenced = ShippedAlerts.SilencedBy(MetricSelection.Of(noInfo));
        Assert.Equal(FromRules().Where(kv => kv.Value.Contains("entra_provisioning_job_info")).Select(kv => kv.Key).Order(),
            silenced.Select(s => s.Alert).Order());
        Assert.All(silenced, s => Assert.Equal(["entra_provisioning_job_info"], s.Missing));
    }
}
