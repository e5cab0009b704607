using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>Publications racing on threads, and a tenant rebuilt: /metrics and OTLP end with the newest snapshot.</summary>
public class SnapshotStoreRaceTests
{
    private const string Family = "entra_provisioning_event_duration_seconds";

    private static TenantLogSnapshot Logs(params DurationHistogram[] histograms) =>
        new(MetricsHarness.TenantId, SourceNames.LogAnalytics, [], [], [], MetricsHarness.Now, 0, new Dictionary<string,
            CustomQueryResult>())
        {
            DurationHistograms = histograms,
        };

    private static DurationHistogram Update(params (int Bucket, long Count, double Seconds)[] buckets)
    {
        var counts = new long[EventDurations.Count];
        var sums = new double[EventDurations.Count];
        foreach (var (b, c, s) in buckets) (counts[b], sums[b]) = (c, s);
        return new DurationHistogram("update", counts, sums);
    }

    [Fact]
    public void Otlp_records_a_rebuilt_tenants_new_events_on_top_of_the_old_ones()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        var options = new ExporterOptions();
        using var otlp = new OtlpExposition(h.Table, h.Snapshots,
            new RuntimeConfiguration(options, new ExporterInfo("test", options.PollInterval, 0, 1, 1, 1, true, MetricsHarness.Now)), h.Time,
                options);
        var recorded = new List<double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l)
                => { if (i.Meter.Name == OtlpExposition.MeterName && i.Name == Family) l.EnableMeasurementEvents(i); },
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => recorded.Add(value));
        listener.Start();

        h.PublishLogs(Logs(Update((0, 2, 0.1))));
        Assert.Equal(2, recorded.Count);

        // The tenant is rebuilt (a reload): its sources start again and count from 0.
        h.Snapshots.Remove(MetricsHarness.TenantId);
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        h.PublishLogs(Logs(Update((0, 3, 0.15))));

        // /metrics: the new series has the rebuilt source's 3 events.
        var metricsCount = MetricsText.Parse(h.Scrape())
            .Single(s => s.Name == Family + "_count" && s.Labels.GetValueOrDefault("action") == "update").Value;
        Assert.Equal(3, metricsCount);
        // OTLP cannot end the series, so the 3 new events must be recorded on top of the 2: 5 in all.
        Assert.Equal(5, recorded.Count);
    }

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
