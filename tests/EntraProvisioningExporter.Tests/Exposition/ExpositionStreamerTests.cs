using System.IO.Pipelines;
using System.Text;
using EntraProvisioningExporter.Exposition;

namespace EntraProvisioningExporter.Tests.Exposition;

public class ExpositionStreamerTests
{
    [Theory]
    [InlineData(ExpositionFormat.PrometheusText004)]
    [InlineData(ExpositionFormat.OpenMetrics100)]
    public void Streaming_in_chunks_writes_exactly_what_the_serializer_writes_whole(ExpositionFormat format)
    {
        // Large enough for many 64 KiB chunks inside one family; values that need escaping and non-ASCII text
        // (a surrogate pair included) so a chunk or slice boundary cannot split or mangle them.
        var samples = Enumerable.Range(0, 5000).Select(i => new Sample(
            [new("tenant_id", $"tenant-{i % 7}"), new("app_name", i % 3 == 0 ? $"Sales \"EU\" \\ {i}\nline" : $"Zürich 🚀 app {i}")], i * 0.5)).ToList();
        var snapshot = new ExpositionSnapshot(
        [
            new MetricFamily("big_gauge", "A big family.", MetricKind.Gauge, samples),
            new MetricFamily("empty_gauge", "No samples.", MetricKind.Gauge, []),
            new MetricFamily("events_total", "A counter.", MetricKind.Counter, [new Sample([new("k", "v")], 3)]),
            new MetricFamily("duration_seconds", "A histogram.", MetricKind.Histogram, [new Sample([new("k", "v")], 0, new HistogramValue([0.1, 1], [1, 2, 3], 4.5, 3))]),
        ]);
        using var streamed = new MemoryStream();
        var chunks = 0;
        foreach (var chunk in ExpositionStreamer.Chunks(snapshot, format, end: true))
        {
            streamed.Write(chunk.Span);
            chunks++;
        }
        Assert.True(chunks > 4, $"{chunks} chunks");

        var whole = PrometheusSerializer.ToText(snapshot, format);
        Assert.True(whole.Length > 300_000);
        Assert.Equal(whole, Encoding.UTF8.GetString(streamed.ToArray()));
        Assert.Contains("app_name=\"Sales \\\"EU\\\" \\\\ 0\\nline\"", whole, StringComparison.Ordinal);
        Assert.Contains("app_name=\"Zürich 🚀 app 1\"", whole, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText004, true, 1_000_000)]
    [InlineData(ExpositionFormat.PrometheusText004, false, 1_000_000)]
    [InlineData(ExpositionFormat.OpenMetrics100, true, 1_000_000)]
    [InlineData(ExpositionFormat.OpenMetrics100, false, 1_000_000)]
    [InlineData(ExpositionFormat.OpenMetrics100, true, 10)] // past the cache's series budget: streamed per scrape
    [InlineData(ExpositionFormat.PrometheusText004, false, 10)]
    public async Task A_metrics_body_is_the_polled_families_then_the_live_ones_whichever_way_it_is_sent(ExpositionFormat format, bool gzip, int maxCachedSeries)
    {
        var polled = new ExpositionSnapshot(
        [
            new MetricFamily("entra_provisioning_job_info", "Jobs.", MetricKind.Gauge,
                Enumerable.Range(0, 3000).Select(i => new Sample([new("job_id", $"scim.{i}"), new("app_name", $"Zürich \"{i}\"")], 1)).ToList()),
            new MetricFamily("entra_provisioning_events_total", "Events.", MetricKind.Counter, [new Sample([new("job_id", "scim.1")], 7)]),
        ]);
        var live = new ExpositionSnapshot(
        [
            new MetricFamily("entra_exporter_poll_duration_seconds", "Polls.", MetricKind.Histogram, [new Sample([new("source", "graph_jobs")], 0, new HistogramValue([1], [1, 2], 1.5, 2))]),
            new MetricFamily("entra_exporter_build_info", "Build.", MetricKind.Gauge, [new Sample([new("version", "1.0")], 1)]),
        ]);
        var cache = new PolledFamiliesCache(() => 1, () => polled, TimeProvider.System, maxCachedSeries: maxCachedSeries);
        using var lease = await cache.GetAsync(format, CancellationToken.None);
        Assert.Equal(maxCachedSeries < 3001, lease.Uncached is not null);

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        await ExpositionStreamer.WriteAsync(pipe.Writer, lease, live, format, gzip, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        using var body = new MemoryStream();
        await pipe.Reader.CopyToAsync(body);
        body.Position = 0;
        using var text = gzip ? new System.IO.Compression.GZipStream(body, System.IO.Compression.CompressionMode.Decompress) : (Stream)body;
        using var reader = new StreamReader(text, Encoding.UTF8);

        Assert.Equal(PrometheusSerializer.ToText(new ExpositionSnapshot([.. polled.Families, .. live.Families]), format), await reader.ReadToEndAsync());
    }
}
