using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>The operation-latency histogram: per-bucket counts and sums from the snapshot, served exactly by both expositions.</summary>
public class TenantHistogramTests
{
    private const string Family = "entra_provisioning_event_duration_seconds";

    private static TenantLogSnapshot Logs(params DurationHistogram[] histograms) =>
        new(MetricsHarness.TenantId, SourceNames.LogAnalytics, LogTotals.None with { DurationHistograms = histograms }, [],
            MetricsHarness.Now, 0, new Dictionary<string, CustomQueryResult>());

    /// <summary>
    /// Counts and sums per bucket (0.1, 0.5, 1, 5, 30, 60, 300, 600, +Inf), given sparsely as bucket → (count, seconds).
    /// </summary>
    private static DurationHistogram Update(params (int Bucket, long Count, double Seconds)[] buckets)
    {
        var counts = new long[EventDurations.Count];
        var sums = new double[EventDurations.Count];
        foreach (var (b, c, s) in buckets) (counts[b], sums[b]) = (c, s);
        return new DurationHistogram("update", counts, sums);
    }

    private static Dictionary<string, double> Update(MetricsHarness h) =>
        MetricsText.Parse(h.Scrape())
            .Where(s => s.Name.StartsWith(Family, StringComparison.Ordinal) && s.Labels.GetValueOrDefault("action") == "update")
            .ToDictionary(s => s.Name[Family.Length..] + (s.Labels.TryGetValue("le", out var le) ? le : ""), s => s.Value);

    [Fact]
    public void Each_publication_adds_what_each_bucket_grew_by_exactly_and_after_a_count_went_down_all_that_is_counted_adds_on()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        h.PublishLogs(Logs());
        // Every action from the start, at 0.
        Assert.Equal(LogNormalization.Actions.Count, MetricsText.Parse(h.Scrape()).Count(s => s.Name == Family + "_count"));
        Assert.Equal(0, Update(h)["_count"]);

        h.PublishLogs(Logs(Update((0, 2, 0.1), (5, 1, 45))));
        var first = Update(h);
        Assert.Equal((2, 2, 3, 3), (first["_bucket0.1"], first["_bucket0.5"], first["_bucket60"], first["_bucket+Inf"]));
        Assert.Equal((3, 45.1), (first["_count"], Math.Round(first["_sum"], 9)));

        h.PublishLogs(Logs(Update((0, 2, 0.1), (5, 1, 45), (8, 2, 1800))));
        var grown = Update(h);
        Assert.Equal((2, 3, 5), (grown["_bucket0.1"], grown["_bucket600"], grown["_bucket+Inf"]));
        Assert.Equal(1845.1, Math.Round(grown["_sum"], 9));

        // The source counts from 0 again (it started over): what it has counted since is new, on top; no bucket goes back.
        h.PublishLogs(Logs(Update((3, 1, 2))));
        var again = Update(h);
        Assert.Equal((2, 3, 6), (again["_bucket1"], again["_bucket5"], again["_count"]));
        Assert.Equal(1847.1, Math.Round(again["_sum"], 9));
    }

    [Theory]
    [InlineData(0, -5.0, 0.0)]                              // a negative sum in the first bucket: at its low end, 0
    [InlineData(8, double.PositiveInfinity, 86_400.0)]      // an infinite sum in the last: at its high end, a day
    [InlineData(1, double.NaN, 0.1)]                        // NaN: just above the bucket's low end
    [InlineData(3, 2.0 * 3, 3.0)]                           // a believable mean is the mean
    public void A_mean_no_events_of_the_bucket_could_have_is_kept_inside_the_bucket(int bucket, double sum, double expected)
    {
        var family = MetricTable.Build(new ExporterOptions()).Families.OfType<TenantHistogramFamily>().Single(f => f.Name == Family);
        var mean = family.MeanInBucket(sum, bucket == 3 ? 2 : 1, bucket);
        Assert.Equal(expected, mean, 9);
        Assert.True(double.IsFinite(mean) && mean >= 0);
    }

    [Fact]
    public void A_tenant_whose_log_source_is_gone_loses_its_histogram_series()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        h.PublishLogs(Logs(Update((1, 1, 0.2))));
        Assert.NotEmpty(Update(h));
        h.Snapshots.Remove(MetricsHarness.TenantId);
        Assert.Empty(Update(h));
    }

    [Fact]
    public async Task The_probe_serves_the_tenants_histogram_as_metrics_does()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        h.PublishLogs(Logs(Update((4, 3, 30))));
        using var stream = new MemoryStream();
        await h.Exposition.WriteTenantAsync(MetricsHarness.TenantId, stream, CancellationToken.None);
        var probe = MetricsText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()))
            .Where(s => s.Name.StartsWith(Family, StringComparison.Ordinal)).Select(Text).Order(StringComparer.Ordinal);
        var metrics = MetricsText.Parse(h.Scrape()).Where(s => s.Name.StartsWith(Family, StringComparison.Ordinal)).Select(Text)
            .Order(StringComparer.Ordinal);
        Assert.Equal(metrics, probe);
    }

    private static string Text(MetricsText.Sample s) =>
        $"{s.Name}{{{string.Join(",", s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))}}} {s.Value}";

    [Fact]
    public void Otlp_records_each_new_event_at_its_buckets_mean_so_buckets_count_and_sum_are_exact()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        var options = new ExporterOptions();
        using var otlp = new OtlpExposition(h.Table, h.Snapshots,
            new RuntimeConfiguration(options, new ExporterInfo("test", options.PollInterval, 0, 1, 1, 1, true, MetricsHarness.Now)),
            h.Time);
        var recorded = new List<(double Value, string Action)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l)
                => { if (i.Meter.Name == OtlpExposition.MeterName && i.Name == Family) l.EnableMeasurementEvents(i); },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            recorded.Add((value, (string)tags.ToArray().Single(t => t.Key == "action").Value!)));
        listener.Start();

        h.PublishLogs(Logs(Update((0, 2, 0.1), (5, 1, 45))));
        h.PublishLogs(Logs(Update((0, 2, 0.1), (5, 1, 45), (8, 2, 1800))));

        Assert.All(recorded, r => Assert.Equal("update", r.Action));
        Assert.Equal([0.05, 0.05, 45, 900, 900], recorded.Select(r => Math.Round(r.Value, 9)).Order());
    }

    [Fact]
    public void Otlp_records_a_rebuilt_tenants_new_events_on_top_of_the_old_ones()
    {
        var h = new MetricsHarness();
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        var options = new ExporterOptions();
        using var otlp = new OtlpExposition(h.Table, h.Snapshots,
            new RuntimeConfiguration(options, new ExporterInfo("test", options.PollInterval, 0, 1, 1, 1, true, MetricsHarness.Now)),
            h.Time);
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
}
