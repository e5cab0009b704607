using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>Publications of one tenant racing on threads: /metrics ends with the newest snapshot.</summary>
public class SnapshotStoreRaceTests
{
    [Fact]
    public void Concurrent_publications_of_one_tenant_end_with_the_newest_state_on_metrics()
    {
        var nonEmpty = 0;
        for (var round = 0; round < 20; round++)
        {
            var h = new MetricsHarness();
            const int Threads = 4, Each = 200;
            using var start = new Barrier(Threads);
            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                for (var i = 0; i < Each; i++)
                {
                    switch ((t + i) % 4)
                    {
                        case 0: h.Publish(MetricsHarness.Job(code: i % 2 == 0 ? "Active" : "Quarantine")); break;
                        case 1: h.Publish(MetricsHarness.Job(), MetricsHarness.Job($"scim.{t}.{i % 3}")); break;
                        case 2: h.Snapshots.ReportSuccess(MetricsHarness.TenantId, SourceNames.GraphJobs,
                            MetricsHarness.Now.AddSeconds(i)); break;
                        default:
                            if (i % 10 == 3) h.Snapshots.Remove(MetricsHarness.TenantId);
                            else if (i % 10 == 5) h.PublishLogs(MetricsHarness.LogSnapshot());
                            else h.Snapshots.ReportFailure(MetricsHarness.TenantId, SourceNames.LogAnalytics, "throttled");
                            break;
                    }
                }
            })).ToList();
            threads.ForEach(x => x.Start());
            threads.ForEach(x => x.Join());

            // A fresh exposition applying only the store's final snapshot must serve the same text.
            var fresh = new PrometheusExposition(h.Table, h.Snapshots, h.Runtime, h.Time,
                Microsoft.Extensions.Logging.Abstractions.NullLogger<PrometheusExposition>.Instance);
            Assert.Equal(Tenant(Scrape(fresh)), Tenant(h.Scrape()));
            if (Tenant(h.Scrape()).Length > 0) nonEmpty++;
        }
        Assert.True(nonEmpty > 0); // the comparison is not of two empty texts
    }

    private static string Scrape(PrometheusExposition e)
    {
        using var stream = new MemoryStream();
        e.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Tenant(string text) => string.Join('\n', text.Split('\n')
        .Where(l => l.StartsWith("entra_", StringComparison.Ordinal)
            && !l.StartsWith("entra_provisioning_exporter_", StringComparison.Ordinal)
            && !l.Contains("_age_seconds", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal));
}
