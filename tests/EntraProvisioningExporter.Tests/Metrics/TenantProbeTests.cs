using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Hosting;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>/probe's output: exactly one tenant's series, as /metrics serves them, and the tenant lookup's answers.</summary>
public class TenantProbeTests
{
    private const string Other = "11111111-2222-3333-4444-555555555555";

    private static string Probe(MetricsHarness h, string tenantId)
    {
        using var stream = new MemoryStream();
        h.Exposition.WriteTenantAsync(tenantId, stream, CancellationToken.None).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static MetricsHarness TwoTenants()
    {
        var h = new MetricsHarness();
        foreach (var tenant in new[] { MetricsHarness.TenantId, Other })
        {
            h.Snapshots.Register(tenant, SourceNames.GraphJobs);
            h.Snapshots.Register(tenant, SourceNames.LogAnalytics);
            h.Snapshots.ReportSuccess(tenant, SourceNames.GraphJobs, MetricsHarness.Now.AddMinutes(-3));
            h.Self.InitializePollErrors(tenant, SourceNames.GraphJobs);
            h.Self.RecordPollDuration(tenant, SourceNames.GraphJobs, tenant == Other ? 2.5 : 0.3);
        }
        h.Self.CountPollError(Other, SourceNames.GraphJobs, PollErrorReason.Throttled);
        h.Self.CountHttpResponse(SourceNames.GraphJobs, 200);
        h.Publish(MetricsHarness.Job("a")
            with { LastExecution = new() { State = "Succeeded", CountExported = 5, TimeEnded = MetricsHarness.Now.AddHours(-1) } },
            MetricsHarness.Job("b", "Quarantine") with { AppName = "App \"quoted\" \\ back" });
        h.Publish(MetricsHarness.Job("c") with { TenantId = Other });
        h.PublishLogs(MetricsHarness.LogSnapshot(events: [new EventCounter(MetricsHarness.Key(MetricsHarness.Job("a")), "update", "failure",
            7)]));
        h.Time.Advance(TimeSpan.FromSeconds(90));
        return h;
    }

    [Fact]
    public void A_probe_serves_exactly_the_tenants_series_of_metrics_ages_included()
    {
        var h = TwoTenants();
        var all = MetricsText.Parse(h.Scrape());
        foreach (var tenant in new[] { MetricsHarness.TenantId, Other })
        {
            var probed = MetricsText.Parse(Probe(h, tenant));
            static string Key(MetricsText.Sample s) => s.Name + "{"
                + string.Join(",", s.Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")) + "} " + s.Value;
            var expected = all.Where(s => s.Labels.GetValueOrDefault("tenant_id") == tenant).Select(Key).Order().ToList();
            Assert.True(expected.Count > 40, $"only {expected.Count} series for {tenant}");
            Assert.Equal(expected, probed.Select(Key).Order().ToList());
        }
        // The other tenant's poll durations and errors are not in this one's probe; a job's age is as of now.
        var mine = MetricsText.Parse(Probe(h, MetricsHarness.TenantId));
        Assert.Equal(0.3, mine.Named("entra_exporter_poll_duration_seconds_sum").Single().Value, 6);
        Assert.Equal(0, mine.Named("entra_exporter_poll_errors_total").Single(s => s.Labels["reason"] == PollErrorReason.Throttled).Value);
        Assert.DoesNotContain(mine, s => s.Name == "entra_exporter_http_requests_total");
        var age = mine.First(s => s.Name == "entra_provisioning_job_last_activity_age_seconds");
        h.Time.Advance(TimeSpan.FromSeconds(30));
        var later = MetricsText.Parse(Probe(h, MetricsHarness.TenantId))
            .Single(s => s.Name == age.Name && s.Labels.SequenceEqual(age.Labels));
        Assert.Equal(age.Value + 30, later.Value, 3);
    }

    [Fact]
    public void A_probe_has_each_family_once_with_its_help_and_type_before_its_samples()
    {
        var text = Probe(TwoTenants(), MetricsHarness.TenantId);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var types = lines.Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(types.Count, types.Distinct().Count());
        string? current = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal)) current = line.Split(' ')[2];
            else if (line[0] != '#') Assert.StartsWith(current!, line, StringComparison.Ordinal);
        }
        Assert.Contains("entra_provisioning_job_info{tenant_id=\"6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e\","
            + "service_principal_id=\"acea479c-60f6-f2de-2b6e-6f10ce024ed8\",job_id=\"b\",app_name=\"App \\\"quoted\\\" \\\\ back\"", text);
    }

    [Fact]
    public void A_removed_job_leaves_the_probe_and_an_unknown_tenant_writes_nothing()
    {
        var h = TwoTenants();
        Assert.Contains(MetricsText.Parse(Probe(h, MetricsHarness.TenantId)), s => s.Labels.GetValueOrDefault("job_id") == "b");
        h.Publish(MetricsHarness.Job("a"));
        Assert.DoesNotContain(MetricsText.Parse(Probe(h, MetricsHarness.TenantId)), s => s.Labels.GetValueOrDefault("job_id") == "b");
        Assert.Equal("", Probe(h, "99999999-2222-3333-4444-555555555555"));
    }

    [Fact]
    public void Left_out_families_are_left_out_of_the_probe_too()
    {
        var h = new MetricsHarness(new ExporterOptions { Metrics = { Exclude = ["entra_provisioning_job_last_execution_*",
            "entra_exporter_poll_duration_seconds"] } });
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.GraphJobs);
        h.Self.RecordPollDuration(MetricsHarness.TenantId, SourceNames.GraphJobs, 0.3);
        h.Publish(MetricsHarness.Job() with { LastExecution = new() { State = "Succeeded" } });
        var names = MetricsText.Parse(Probe(h, MetricsHarness.TenantId)).Select(s => s.Name).ToHashSet();
        Assert.Contains("entra_provisioning_job_status", names);
        Assert.Contains("entra_exporter_source_up", names);
        Assert.DoesNotContain(names,
            n => n.StartsWith("entra_provisioning_job_last_execution_", StringComparison.Ordinal)
            || n.StartsWith("entra_exporter_poll_duration", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tenant_is_found_by_id_then_by_name_and_an_ambiguous_or_unknown_name_says_so()
    {
        var options = new ExporterOptions
        {
            Tenants =
            [
                new TenantOptions { TenantId = MetricsHarness.TenantId, Name = "contoso" },
                new TenantOptions { TenantId = Other, Name = "fabrikam" },
                new TenantOptions { TenantId = "22222222-2222-3333-4444-555555555555", Name = "Fabrikam" },
            ],
        };
        Assert.Equal(MetricsHarness.TenantId, ProbeEndpoint.Find(options, "CONTOSO").Tenant?.TenantId);
        Assert.Equal(Other, ProbeEndpoint.Find(options, Other.ToUpperInvariant()).Tenant?.TenantId);
        var (none, unknown) = ProbeEndpoint.Find(options, "northwind");
        Assert.Null(none);
        Assert.Equal(404, unknown!.Value.Status);
        Assert.Contains("No tenant 'northwind' is configured", unknown.Value.Message, StringComparison.Ordinal);
        var (_, ambiguous) = ProbeEndpoint.Find(options, "fabrikam");
        Assert.Equal(400, ambiguous!.Value.Status);
        Assert.Contains("2 tenants are named 'fabrikam'", ambiguous.Value.Message, StringComparison.Ordinal);
    }
}
