using System.Text.RegularExpressions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The canonical alerting rules, checked and unit-tested with the real promtool, and held to our conventions.</summary>
public partial class RulesTests
{
    private static readonly string[] RequiredAlerts =
    [
        "EntraProvisioningJobQuarantined", "EntraProvisioningJobNearQuarantine", "EntraProvisioningJobDisableImminent",
        "EntraProvisioningHighFailureRate", "EntraProvisioningFailureSpike", "EntraProvisioningDeleteSpike",
        "EntraProvisioningNoActivity", "EntraProvisioningJobFailing", "EntraExporterSourceDown", "EntraExporterDataStale", "EntraExporterShardMissing", "EntraExporterDown",
        "EntraProvisioningDeleteThresholdNear", "EntraProvisioningQuarantineForecast", "EntraProvisioningInitialCycleStalled",
        "EntraProvisioningFailureAnomaly", "EntraProvisioningDeleteAnomaly", "EntraExporterConfigReloadFailed",
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
            Assert.StartsWith("https://github.com/entra-provisioning-exporter/entra-provisioning-exporter/blob/main/docs/alerts.md#", annotations["runbook_url"], StringComparison.Ordinal);
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

    [GeneratedRegex(@"^#{2,4} (?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
