using System.Text.RegularExpressions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The canonical alerting rules, checked and unit-tested with the real promtool, and held to our conventions.</summary>
[LongRunning, Collection(nameof(RulesTests)), CollectionDefinition(nameof(RulesTests))]
public partial class RulesTests
{
    private static readonly string[] RequiredAlerts =
    [
        "EntraProvisioningJobQuarantined", "EntraProvisioningJobNearQuarantine", "EntraProvisioningJobDisableImminent",
        "EntraProvisioningHighFailureRate", "EntraProvisioningFailureSpike", "EntraProvisioningDeleteSpike",
        "EntraProvisioningNoActivity", "EntraProvisioningJobFailing", "EntraExporterSourceDown", "EntraExporterGraphThrottleHeadroomLow",
            "EntraExporterDataStale", "EntraExporterShardMissing", "EntraExporterDown",
        "EntraProvisioningDeleteThresholdNear", "EntraProvisioningQuarantineForecast", "EntraProvisioningInitialCycleStalled",
        "EntraProvisioningFailureAnomaly", "EntraProvisioningDeleteAnomaly", "EntraExporterConfigReloadFailed",
        "EntraProvisioningJobRunErrors",
    ];

    [Fact]
    public async Task Promtool_check_rules_passes()
    {
        await using var p = ManagedProcess.Start(Tools.Require("promtool"), ["check", "rules", Monitoring.RulesFile]);
        var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, p.Describe());
        Assert.Contains("SUCCESS", p.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", p.StandardOutput + p.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Promtool_rule_unit_tests_pass()
    {
        await using var p = ManagedProcess.Start(Tools.Require("promtool"), ["test", "rules", .. Monitoring.RuleTestFiles]);
        var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, p.Describe());
    }

    [Fact]
    public void Every_required_alert_exists_with_severity_summary_description_and_runbook()
    {
        var alerts = Monitoring.Alerts();
        Assert.Equal(RequiredAlerts.Order(), alerts.Select(a => a.Alert).Distinct().Order());
        var runbooks = File.ReadAllText(Repo.Path("docs", "alerts.md"));
        var anchors = Heading().Matches(runbooks).Select(m => Monitoring.Slug(m.Groups["title"].Value)).ToHashSet();
        foreach (var (alert, expr, labels, annotations) in alerts)
        {
            Assert.Contains(labels["severity"], new[] { "critical", "warning", "info" });
            Assert.False(string.IsNullOrWhiteSpace(annotations["summary"]), alert);
            Assert.False(string.IsNullOrWhiteSpace(annotations["description"]), alert);
            var anchor = annotations["runbook_url"].Split('#')[1];
            Assert.True(anchors.Contains(anchor), $"{alert}: runbook anchor #{anchor} is not a heading in docs/alerts.md");
            Assert.StartsWith("https://github.com/entra-provisioning-exporter/entra-provisioning-exporter/blob/main/docs/alerts.md#",
                annotations["runbook_url"], StringComparison.Ordinal);
            Assert.Equal(alert.ToLowerInvariant(), anchor);
            // Job alerts name the app: they join entra_provisioning_job_info and say {{ $labels.app_name }}.
            if (alert.StartsWith("EntraProvisioning", StringComparison.Ordinal))
            {
                Assert.Contains("group_left (app_name)", expr, StringComparison.Ordinal);
                Assert.Contains("{{ $labels.app_name }}", annotations["description"], StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Every_alert_has_unit_tests_that_fire_it_and_that_do_not()
    {
        var tests = Monitoring.RuleTestFiles.SelectMany(f => ((YamlSequenceNode)Monitoring.LoadYaml(f)["tests"]).Cast<YamlMappingNode>())
            .SelectMany(t => ((YamlSequenceNode)t["alert_rule_test"]).Cast<YamlMappingNode>())
            .Select(c => (Alert: ((YamlScalarNode)c["alertname"]).Value!, Fires: ((YamlSequenceNode)c["exp_alerts"]).Children.Count > 0))
            .ToList();
        foreach (var alert in RequiredAlerts)
        {
            Assert.True(tests.Any(t => t.Alert == alert && t.Fires), $"{alert} has no test where it fires");
            Assert.True(tests.Any(t => t.Alert == alert && !t.Fires), $"{alert} has no test where it does not fire");
        }
    }

    [Fact]
    public void Every_promtool_test_file_evaluates_every_group_in_the_order_of_the_rules_file()
    {
        // promtool evaluates groups in no fixed order unless told: an alert would sometimes read a recorded series
        // one evaluation behind, and its test would pass or fail by chance.
        var groups = Monitoring.Groups().Select(g => g.Name).ToList();
        foreach (var file in Monitoring.RuleTestFiles)
        {
            var order = Monitoring.LoadYaml(file).Children.TryGetValue("group_eval_order", out var node)
                ? ((YamlSequenceNode)node).Cast<YamlScalarNode>().Select(n => n.Value!).ToList()
                : [];
            Assert.True(groups.SequenceEqual(order),
                $"{Path.GetFileName(file)}: group_eval_order [{string.Join(", ", order)}] is not the rules file's "
                    + $"groups [{string.Join(", ", groups)}]");
        }
    }

    [Fact]
    public void A_series_recorded_as_seldom_as_the_query_lookback_is_read_only_in_its_own_group()
    {
        // Prometheus looks back 5 minutes for an instant sample. A series recorded every 5 minutes or less often can
        // be older than that when another group reads it while its own group is still evaluating: the series
        // vanishes for that evaluation and an alert's `for:` starts again. In the same group, the rules run in order.
        var groups = Monitoring.Groups();
        var seldom = groups.Where(g => g.Interval is { } i && PrometheusDuration(i) >= TimeSpan.FromMinutes(5))
            .SelectMany(g => g.Rules.Where(r => r.Recorded).Select(r => (Series: r.Name, Group: g.Name)))
            .ToList();
        Assert.NotEmpty(seldom);
        foreach (var (group, _, rules) in groups)
        {
            foreach (var (rule, _, expr) in rules)
            {
                var foreign = seldom.Where(s => s.Group != group
                    && Regex.IsMatch(expr, $@"(?<![\w:]){Regex.Escape(s.Series)}(?![\w:])")).ToList();
                Assert.True(foreign.Count == 0,
                    $"{rule} (group {group}) reads "
                        + $"{string.Join(", ", foreign.Select(f => $"{f.Series} of {f.Group}"))}: move it into that group");
            }
        }
    }

    private static TimeSpan PrometheusDuration(string text)
    {
        var m = Regex.Match(text, @"^(?<n>\d+)(?<unit>s|m|h|d)$");
        Assert.True(m.Success, $"unexpected interval {text}");
        var n = int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
        return m.Groups["unit"].Value switch { "s" => TimeSpan.FromSeconds(n), "m" => TimeSpan.FromMinutes(n), "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n) };
    }

    [GeneratedRegex(@"^#{2,4} (?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
