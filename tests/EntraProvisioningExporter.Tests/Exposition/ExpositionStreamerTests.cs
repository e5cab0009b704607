using System.IO.Pipelines;
using System.Text;
using EntraProvisioningExporter.Exposition;

namespace EntraProvisioningExporter.Tests.Exposition;

public class ExpositionStreamerTests
{
    [Theory]
    [InlineData(ExpositionFormat.PrometheusText004)]
    [InlineData(ExpositionFormat.OpenMetrics100)]
    public async Task Streaming_in_chunks_writes_exactly_what_the_serializer_writes_whole(ExpositionFormat format)
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
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        await ExpositionStreamer.WriteAsync(pipe.Writer, snapshot, format, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        using var streamed = new MemoryStream();
        await pipe.Reader.CopyToAsync(streamed);

        var whole = PrometheusSerializer.ToText(snapshot, format);
        Assert.True(whole.Length > 300_000);
        Assert.Equal(whole, Encoding.UTF8.GetString(streamed.ToArray()));
        Assert.Contains("app_name=\"Sales \\\"EU\\\" \\\\ 0\\nline\"", whole, StringComparison.Ordinal);
        Assert.Contains("app_name=\"Zürich 🚀 app 1\"", whole, StringComparison.Ordinal);
    }
}
