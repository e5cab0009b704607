using System.Text.Json;
using System.Text.RegularExpressions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// The whole path an SRE relies on: the demo exporter, a real Prometheus 2.42 loading the canonical rules and
/// scraping it, a real Alertmanager 0.25 receiving from that Prometheus, all on 127.0.0.1; and every query of
/// the canonical dashboard run against that Prometheus.
/// </summary>
[LongRunning, Collection(nameof(AlertingEndToEndTests)), CollectionDefinition(nameof(AlertingEndToEndTests))]
public partial class AlertingEndToEndTests
{
    private static string PrometheusConfig(Uri exporter, Uri? alertmanager, string? rulesFile = null) => $"""
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        rule_files:
          - '{rulesFile ?? Monitoring.RulesFile}'
        {(alertmanager is null ? "" : $"""
        alerting:
          alertmanagers:
            - static_configs:
                - targets: ['{alertmanager.Authority}']
        """)}
        scrape_configs:
          - job_name: entra-provisioning-exporter
            static_configs:
              - targets: ['{exporter.Authority}']
        """;

    private const string AlertmanagerConfig = """
        route:
          receiver: 'null'
          group_by: ['alertname', 'job_id']
          group_wait: 1s
          group_interval: 1s
          repeat_interval: 1h
        receivers:
          - name: 'null'
        """;

    [Fact]
    public async Task The_quarantined_app_reaches_Alertmanager_and_the_healthy_app_raises_nothing()
    {
        // Scenario time at 60x: the escrow-climbing app is quarantined after 16 real seconds too.
        await using var exporter = await ExporterHost.StartAsync(["--demo", "--Demo:TimeScale", "60"]);
        await exporter.WaitReadyAsync();
        var jobs = MetricsText.Parse(await exporter.MetricsAsync()).Named("entra_provisioning_job_info").GroupBy(s => s.Labels["app_name"])
            .ToDictionary(g => g.Key, g => g.First().Labels["job_id"]);
        await using var alertmanager = await AlertmanagerServer.StartAsync(AlertmanagerConfig);
        // The rules as shipped, but the two alerts this test waits for pending 10 s instead of 1 m (their only for: 1m):
        // what a for: does is the rules' unit tests' (RulesTests); this one follows the alerts to Alertmanager.
        var rules = await RulesCopyAsync("        for: 1m\n", "        for: 10s\n", expected: 2);
        await using var prometheus = await PrometheusServer.StartAsync(PrometheusConfig(exporter.Address, alertmanager.Address, rules));

        // for: 10s, then Alertmanager's 1 s group wait: well within three minutes.
        await Tools.Eventually(async () => (await alertmanager.AlertsAsync()).Any(a =>
                a.Labels["alertname"] == "EntraProvisioningJobQuarantined" && a.Labels.GetValueOrDefault("app_name") == "Dropbox Business"),
            TimeSpan.FromMinutes(3), "EntraProvisioningJobQuarantined for Dropbox Business in Alertmanager");

        var alerts = await alertmanager.AlertsAsync();
        var dropbox = alerts.Single(a => a.Labels["alertname"] == "EntraProvisioningJobQuarantined"
            && a.Labels["app_name"] == "Dropbox Business");
        Assert.Equal("critical", dropbox.Labels["severity"]);
        Assert.Equal("EncounteredQuarantineException", dropbox.Labels["reason"]);
        Assert.Equal(jobs["Dropbox Business"], dropbox.Labels["job_id"]);
        Assert.Equal("active", dropbox.State);
        Assert.Equal("Provisioning to Dropbox Business is quarantined (EncounteredQuarantineException)", dropbox.Annotations["summary"]);
        Assert.EndsWith("#entraprovisioningjobquarantined", dropbox.Annotations["runbook_url"], StringComparison.Ordinal);

        // Nothing, firing or pending, about the healthy app, in Alertmanager or in Prometheus.
        var healthy = jobs["Contoso SCIM App"];
        Assert.DoesNotContain(alerts, a => a.Labels.GetValueOrDefault("job_id") == healthy);
        var rulesAlerts = await prometheus.Http.GetStringAsync("api/v1/alerts");
        Assert.DoesNotContain(healthy, rulesAlerts, StringComparison.Ordinal);
        // And the exporter itself is healthy: no exporter alert either.
        Assert.DoesNotContain(alerts, a => a.Labels["alertname"].StartsWith("EntraExporter", StringComparison.Ordinal));

        // The scoping change: the cycle's deletes and disables pass 80 % of the threshold (500) about 47 scenario
        // minutes in, then for: 10s. Before that it was below: the early warning is a warning, not a quarantine.
        await Tools.Eventually(async () => (await alertmanager.AlertsAsync()).Any(a =>
                a.Labels["alertname"] == "EntraProvisioningDeleteThresholdNear"
                    && a.Labels.GetValueOrDefault("app_name") == "Google Workspace"),
            TimeSpan.FromMinutes(4), "EntraProvisioningDeleteThresholdNear for Google Workspace in Alertmanager");
        var deletes = (await alertmanager.AlertsAsync()).Single(a => a.Labels["alertname"] == "EntraProvisioningDeleteThresholdNear");
        Assert.Equal(jobs["Google Workspace"], deletes.Labels["job_id"]);
        Assert.Equal("warning", deletes.Labels["severity"]);
        Assert.Equal("Provisioning to Google Workspace is close to its accidental-deletion threshold", deletes.Annotations["summary"]);
        Assert.EndsWith("#entraprovisioningdeletethresholdnear", deletes.Annotations["runbook_url"], StringComparison.Ordinal);
        var proximity = (await prometheus.QueryAsync(
            $"entra_provisioning_job_delete_threshold_proximity{{job_id=\"{jobs["Google Workspace"]}\"}}")).Single().Value;
        Assert.InRange(proximity, 0.8, 0.9);
    }

    [Fact]
    public async Task Every_dashboard_query_runs_and_returns_data_from_the_demo()
    {
        await using var exporter = await ExporterHost.StartAsync(["--demo", "--Demo:TimeScale", "60"]);
        await exporter.WaitReadyAsync();
        // The rules as shipped, but the baseline group evaluated every 5 s instead of every 5 minutes, so that its
        // series exist within the test (Prometheus staggers a group's first evaluation by up to its interval).
        var rules = await RulesCopyAsync("    interval: 5m\n", "    interval: 5s\n", expected: 1);
        await using var prometheus = await PrometheusServer.StartAsync(PrometheusConfig(exporter.Address, null, rules));
        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Monitoring.DashboardFile)).RootElement;

        var queries = Panels(dashboard).SelectMany(p => p.GetProperty("targets").EnumerateArray()
            .Select(t => (Panel: p.GetProperty("title").GetString()!, Expr: t.GetProperty("expr").GetString()!))).ToList();
        Assert.True(queries.Count >= 18, $"{queries.Count} queries");
        // Template variables run as the label_values() Grafana would ask for.
        queries.Add(("variable tenant", "group by (tenant_id) (entra_provisioning_job_info)"));
        queries.Add(("variable app", "group by (app_name) (entra_provisioning_job_info{tenant_id=~\"$tenant\"})"));

        // Scraped long enough for rates, and for failures to have been ingested and counted.
        await Tools.Eventually(async () => (await prometheus.QueryAsync("sum(increase(entra_provisioning_event_errors_total[1m]))"))
            .Any(r => r.Value > 0),
            TimeSpan.FromSeconds(90), "failures counted and scraped twice");
        // And the baseline group evaluated over those scrapes (its rate needs two samples, then its 7-day means one evaluation).
        await Tools.Eventually(async () => (await prometheus.QueryAsync("count(tenant_job:entra_provisioning_failures:rate1h_avg7d) and "
            + "count(tenant_job:entra_provisioning_deprovisions:rate1h_stddev7d)")).Count > 0,
            TimeSpan.FromSeconds(60), "the baseline recording rules evaluated");
        var failures = new List<string>();
        foreach (var (panel, expr) in queries)
        {
            var promql = expr.Replace("$tenant", ".*", StringComparison.Ordinal).Replace("$app", ".*", StringComparison.Ordinal)
                .Replace("$__rate_interval", "1m", StringComparison.Ordinal);
            try
            {
                if ((await prometheus.QueryAsync(promql)).Count == 0) failures.Add($"{panel}: no data for {promql}");
            }
            catch (InvalidOperationException ex)
            {
                failures.Add($"{panel}: {ex.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Dashboard_follows_the_conventions()
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(Monitoring.DashboardFile)).RootElement;
        Assert.Equal("entra-provisioning-exporter", dashboard.GetProperty("uid").GetString());
        var variables = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!);
        Assert.Equal("datasource", variables["datasource"].GetProperty("type").GetString());
        Assert.Equal("prometheus", variables["datasource"].GetProperty("query").GetString());
        Assert.True(variables.ContainsKey("tenant") && variables.ContainsKey("app"));
        foreach (var panel in Panels(dashboard))
        {
            var title = panel.GetProperty("title").GetString();
            Assert.False(string.IsNullOrEmpty(panel.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString()),
                $"{title} has no unit");
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!;
                Assert.Equal("${datasource}", target.GetProperty("datasource").GetProperty("uid").GetString());
                // Rates use Grafana's $__rate_interval, never a window that ignores the scrape interval.
                foreach (Match m in RateWindow().Matches(expr))
                    Assert.True(m.Groups["window"].Value == "$__rate_interval", $"{title}: rate() over [{m.Groups["window"].Value}]");
                // Job panels follow the tenant variable.
                if (expr.Contains("entra_provisioning_", StringComparison.Ordinal))
                    Assert.Contains("$tenant", expr, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>A temporary copy of the shipped rules with <paramref name="expected"/> occurrences of one line replaced.</summary>
    private static async Task<string> RulesCopyAsync(string line, string replacement, int expected)
    {
        var shipped = await File.ReadAllTextAsync(Monitoring.RulesFile);
        Assert.Equal(expected, shipped.Split(line).Length - 1);
        var copy = Path.Combine(Path.GetTempPath(), $"entra-rules-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(copy, shipped.Replace(line, replacement, StringComparison.Ordinal));
        return copy;
    }

    private static IEnumerable<JsonElement> Panels(JsonElement dashboard) =>
        dashboard.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row");

    [GeneratedRegex(@"\brate\([^\[]*\[(?<window>[^\]]+)\]")]
    private static partial Regex RateWindow();
}
