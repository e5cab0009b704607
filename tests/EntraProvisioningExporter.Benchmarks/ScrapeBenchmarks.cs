using System.Net;
using BenchmarkDotNet.Attributes;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Hosting;
using EntraProvisioningExporter.Sources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace EntraProvisioningExporter.Benchmarks;

/// <summary>
/// The cost of publishing and scraping at 100, 1,000 and 10,000 jobs, on the production path: the exporter is built
/// exactly as Program.cs builds it, in demo mode (the simulator in-process, jobs and provisioning logs for every
/// job), polled once, then measured. Republish is what a poll costs the exposition: applying every family of the
/// table to the tenant's snapshots (values set, vanished series removed). Serialize* is prometheus-net writing the
/// registry; SerializeTenant is /probe's writer for the (one) tenant. Scrape* is a whole HTTP GET /metrics over
/// loopback, client and server in this process (so its allocations count both); ScrapeGzip is what Prometheus asks for.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class ScrapeBenchmarks
{
    /// <summary>The demo scenario's own jobs; synthetic healthy jobs make up the rest.</summary>
    private const int ScenarioJobs = 16;

    private WebApplication app = null!;
    private PrometheusExposition exposition = null!;
    private string tenantId = null!;
    private TenantSnapshot published = null!;
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
            // One poll cycle, then none while measuring: scrapes read what it published.
            "--Exporter:PollInterval", "01:00:00", "--Exporter:DiscoveryInterval", "06:00:00", "--Exporter:Logs:Window", "01:00:00",
        ]);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        plain = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
        gzip = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.GZip }) { BaseAddress = address,
            Timeout = TimeSpan.FromMinutes(1) };
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (!(await plain.GetAsync("/readyz")).IsSuccessStatusCode)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the demo exporter did not become ready");
            await Task.Delay(200);
        }
        exposition = app.Services.GetRequiredService<MetricExpositions>().Prometheus;
        var tenant = app.Services.GetRequiredService<TenantSnapshotStore>().All.Single();
        tenantId = tenant.TenantId;
        published = tenant;
        if (tenant.JobList.Count != Jobs)
            throw new InvalidOperationException($"expected {Jobs} jobs, the exporter has {tenant.JobList.Count}");
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
    public void Republish() => exposition.Apply(published, TenantInputs.All);

    [Benchmark]
    public long SerializeText() => Serialize(ExpositionFormat.PrometheusText);

    [Benchmark]
    public long SerializeOpenMetrics() => Serialize(ExpositionFormat.OpenMetricsText);

    /// <summary>What /probe?tenant=NAME writes for the one tenant (here every job: compare with SerializeText).</summary>
    [Benchmark]
    public long SerializeTenant()
    {
        using var counting = new CountingStream();
        exposition.WriteTenantAsync(tenantId, counting, CancellationToken.None).GetAwaiter().GetResult();
        return counting.Length;
    }

    [Benchmark]
    public long Scrape() => Get(plain);

    [Benchmark]
    public long ScrapeGzip() => Get(gzip);

    private long Serialize(ExpositionFormat format)
    {
        using var counting = new CountingStream();
        exposition.Registry.CollectAndExportAsTextAsync(counting, format).GetAwaiter().GetResult();
        return counting.Length;
    }

    private static long Get(HttpClient client)
    {
        using var response = client.GetAsync("/metrics", HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        using var body = response.Content.ReadAsStream();
        using var counting = new CountingStream();
        body.CopyTo(counting);
        return counting.Length;
    }
}

/// <summary>A write-only stream that only counts what it is given.</summary>
internal sealed class CountingStream : Stream
{
    private long length;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => length;
    public override long Position { get => length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => length += count;
    public override void Write(ReadOnlySpan<byte> buffer) => length += buffer.Length;
}
