using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace EntraProvisioningExporter.Benchmarks;

/// <summary>
/// The cost of one scrape at 100, 1,000 and 10,000 jobs, on the production path: the exporter is built exactly
/// as Program.cs builds it, in demo mode (the simulator in-process, jobs and provisioning logs for every job),
/// polled once, then scraped. Collect is the OpenTelemetry collection of every instrument (observable callbacks
/// over the snapshots, copied into an exposition snapshot); Serialize* is writing that snapshot. RenderPolled is
/// what a change of the snapshots costs, once per poll rather than per scrape: collecting the polled instruments,
/// writing them (OpenMetrics, what Prometheus asks for) and compressing them. CollectLive is the collection every
/// scrape still makes. Scrape* is a whole HTTP GET /metrics over loopback, client and server in this process
/// (so its allocations count both), with the polled families already rendered, as between polls.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class ScrapeBenchmarks
{
    /// <summary>The demo scenario's own jobs; synthetic healthy jobs make up the rest.</summary>
    private const int ScenarioJobs = 13;

    private WebApplication app = null!;
    private ScrapeCoordinator coordinator = null!;
    private MetricsPipeline pipeline = null!;
    private ExpositionSnapshot snapshot = null!;
    private readonly ArrayBufferWriter<byte> buffer = new(1 << 20);
    private HttpClient plain = null!;
    private HttpClient gzip = null!;

    [ParamsSource(nameof(JobCounts))]
    public int Jobs { get; set; }

    /// <summary>100, 1,000 and 10,000 jobs; BENCH_JOBS=1000 (comma-separated) runs only those.</summary>
    public static IEnumerable<int> JobCounts() =>
        Environment.GetEnvironmentVariable("BENCH_JOBS") is { Length: > 0 } only ? only.Split(',').Select(int.Parse) : [100, 1_000, 10_000];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        app = await ExporterApplication.BuildAsync(
        [
            "--demo", "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
            "--Demo:SyntheticJobs", $"{Jobs - ScenarioJobs}",
            // One poll cycle, then none while measuring: scrapes read the snapshots it left.
            "--Exporter:PollInterval", "01:00:00", "--Exporter:DiscoveryInterval", "06:00:00", "--Exporter:Logs:Window", "01:00:00",
        ]);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        plain = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
        gzip = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.GZip }) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (!(await plain.GetAsync("/readyz")).IsSuccessStatusCode)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the demo exporter did not become ready");
            await Task.Delay(200);
        }
        coordinator = app.Services.GetRequiredService<ScrapeCoordinator>();
        pipeline = app.Services.GetRequiredService<MetricsPipeline>();
        snapshot = pipeline.CollectAll();
        var jobs = snapshot.Families.Single(f => f.Name == "entra_provisioning_job_info").Samples.Count;
        if (jobs != Jobs) throw new InvalidOperationException($"expected {Jobs} jobs, the exporter has {jobs}");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        plain.Dispose();
        gzip.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    [Benchmark]
    public int Collect() => pipeline.CollectAll().Families.Count;

    [Benchmark]
    public long RenderPolled() =>
        DeflatedText.Compress(ExpositionStreamer.Chunks(pipeline.Polled.Collect(), ExpositionFormat.OpenMetrics100, end: false)).CompressedLength;

    [Benchmark]
    public int CollectLive() => coordinator.CollectAsync(CancellationToken.None).GetAwaiter().GetResult().Families.Count;

    [Benchmark]
    public int SerializeText() => Serialize(ExpositionFormat.PrometheusText004);

    [Benchmark]
    public int SerializeOpenMetrics() => Serialize(ExpositionFormat.OpenMetrics100);

    [Benchmark]
    public long Scrape() => Get(plain);

    [Benchmark]
    public long ScrapeGzip() => Get(gzip);

    private int Serialize(ExpositionFormat format)
    {
        buffer.ResetWrittenCount();
        foreach (var family in snapshot.Families) PrometheusSerializer.WriteFamily(buffer, family, format);
        PrometheusSerializer.WriteEnd(buffer, format);
        return buffer.WrittenCount;
    }

    private static long Get(HttpClient client)
    {
        using var response = client.GetAsync("/metrics", HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        using var body = response.Content.ReadAsStream();
        return body.CopyToCountingNull();
    }
}

internal static class StreamExtensions
{
    private static readonly byte[] Scratch = new byte[81920];

    /// <summary>Reads a stream to its end, discarding it, and says how many bytes it held.</summary>
    public static long CopyToCountingNull(this Stream stream)
    {
        long total = 0;
        int read;
        while ((read = stream.Read(Scratch, 0, Scratch.Length)) > 0) total += read;
        return total;
    }
}
