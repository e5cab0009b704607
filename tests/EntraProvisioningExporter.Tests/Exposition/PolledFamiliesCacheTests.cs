using System.IO.Compression;
using System.Text;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Simulator.Time;

namespace EntraProvisioningExporter.Tests.Exposition;

public class PolledFamiliesCacheTests
{
    private readonly ManualTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private long generation;
    private int collections;

    private PolledFamiliesCache Cache() => new(() => Interlocked.Read(ref generation), () =>
    {
        var n = Interlocked.Increment(ref collections);
        return new ExpositionSnapshot([new MetricFamily("polled_value", "h", MetricKind.Gauge, [new Sample([new("job_id", "a")], n)])]);
    }, time);

    [Fact]
    public async Task Scrapes_reuse_one_rendering_until_a_snapshot_is_published()
    {
        var cache = Cache();
        using var first = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        using var again = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.Same(first.Text, again.Text);
        Assert.Equal(1, collections);
        Assert.Contains("polled_value{job_id=\"a\"} 1\n", Text(again.Text), StringComparison.Ordinal);

        Interlocked.Increment(ref generation);
        using var after = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.Equal(2, collections);
        Assert.Contains("polled_value{job_id=\"a\"} 2\n", Text(after.Text), StringComparison.Ordinal);
        Assert.Equal(2, cache.Renders);
    }

    [Fact]
    public async Task Each_format_has_its_own_rendering_without_the_end_marker()
    {
        var cache = Cache();
        var text = await TextAsync(cache, ExpositionFormat.PrometheusText004);
        var openMetrics = await TextAsync(cache, ExpositionFormat.OpenMetrics100);
        Assert.Equal(2, collections);
        // The live families and "# EOF" follow the polled ones, so the polled part never ends the exposition.
        Assert.DoesNotContain("# EOF", openMetrics, StringComparison.Ordinal);
        Assert.Equal(text.Replace("} 1\n", "} 2\n", StringComparison.Ordinal), openMetrics); // a gauge is written the same in both (second collection: 2)
    }

    [Fact]
    public async Task Concurrent_scrapes_after_a_publish_render_once()
    {
        var cache = Cache();
        var scrapes = Enumerable.Range(0, 8).Select(_ => Task.Run(() => cache.GetAsync(ExpositionFormat.OpenMetrics100, CancellationToken.None))).ToArray();
        var results = await Task.WhenAll(scrapes);
        Assert.Equal(1, collections);
        Assert.All(results, r => Assert.Same(results[0].Text, r.Text));
        foreach (var lease in results) lease.Dispose();
    }

    [Fact]
    public async Task Polls_slower_than_scrapes_are_rendered_ahead_so_scrapes_never_render()
    {
        var cache = Cache();
        await cache.RefreshAsync(CancellationToken.None);
        Assert.Equal(0, collections); // nobody has scraped: nothing to render ahead
        (await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None)).Dispose();
        Assert.Equal(1, collections);

        for (var poll = 1; poll <= 3; poll++)
        {
            Interlocked.Increment(ref generation);
            await cache.RefreshAsync(CancellationToken.None);
            await cache.RefreshAsync(CancellationToken.None); // up to date: nothing more
            Assert.Equal(1 + poll, collections);
            for (var scrape = 0; scrape < 4; scrape++)
            {
                var text = await TextAsync(cache, ExpositionFormat.PrometheusText004);
                Assert.Contains($"}} {1 + poll}\n", text, StringComparison.Ordinal); // the latest, rendered ahead
            }
            Assert.Equal(1 + poll, collections);
        }
    }

    [Fact]
    public async Task Publications_faster_than_scrapes_never_cost_more_renders_than_scrapes()
    {
        var cache = Cache();
        var scrapes = 0;
        for (var round = 0; round < 5; round++)
        {
            var text = await TextAsync(cache, ExpositionFormat.PrometheusText004);
            scrapes++;
            Assert.Contains($"}} {collections}\n", text, StringComparison.Ordinal); // fresh: the last collection
            for (var publication = 0; publication < 4; publication++) // many tenants publishing between scrapes
            {
                Interlocked.Increment(ref generation);
                await cache.RefreshAsync(CancellationToken.None);
            }
        }
        Assert.True(collections <= scrapes + PolledFamiliesCache.MaxRendersAhead, $"{collections} renders for {scrapes} scrapes");
    }

    [Fact]
    public async Task Formats_not_scraped_recently_are_not_rendered_ahead()
    {
        var cache = Cache();
        (await cache.GetAsync(ExpositionFormat.OpenMetrics100, CancellationToken.None)).Dispose();
        time.Advance(PolledFamiliesCache.RecentlyScraped + TimeSpan.FromSeconds(1));
        Interlocked.Increment(ref generation);
        await cache.RefreshAsync(CancellationToken.None);
        Assert.Equal(1, collections); // left to the next scrape
        (await cache.GetAsync(ExpositionFormat.OpenMetrics100, CancellationToken.None)).Dispose();
        Assert.Equal(2, collections);
    }

    [Fact]
    public async Task Past_the_series_budget_nothing_is_kept_and_each_scrape_streams_its_own_collection()
    {
        var cache = new PolledFamiliesCache(() => Interlocked.Read(ref generation), () =>
        {
            var n = Interlocked.Increment(ref collections);
            return new ExpositionSnapshot([new MetricFamily("polled_value", "h", MetricKind.Gauge, [new Sample([new("job_id", "a")], n), new Sample([new("job_id", "b")], n)])]);
        }, time, maxCachedSeries: 1);
        for (var scrape = 1; scrape <= 2; scrape++)
        {
            using var lease = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
            Assert.Equal(0, lease.Text.Length);
            Assert.Equal(2, Assert.Single(lease.Uncached!.Families).Samples.Count);
            Assert.Equal(scrape, collections); // collected for this scrape, nothing reused
        }
        Interlocked.Increment(ref generation);
        await cache.RefreshAsync(CancellationToken.None);
        Assert.Equal(2, collections); // nothing to render ahead: it would not be kept
    }

    [Fact]
    public async Task A_failed_collection_fails_that_scrape_and_the_next_one_tries_again()
    {
        var fail = true;
        var cache = new PolledFamiliesCache(() => 0, () => fail ? throw new InvalidOperationException("boom") : new ExpositionSnapshot([]), time);
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None));
        fail = false;
        using var lease = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.Equal(0, lease.Text.Length);
    }

    [Fact]
    public async Task A_replaced_rendering_stays_readable_while_a_scrape_holds_it_and_then_goes_back_to_the_pool()
    {
        var pool = new CountingPool();
        var cache = new PolledFamiliesCache(() => Interlocked.Read(ref generation), () => new ExpositionSnapshot(
            [new MetricFamily("polled_value", "h", MetricKind.Gauge,
                Enumerable.Range(0, 20_000).Select(i => new Sample([new("job_id", $"job-{i}-{Interlocked.Read(ref generation)}")], i)).ToList())]), time, pool);
        var held = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        var expected = Text(held.Text);
        Assert.True(held.Text.Blocks.Count > 1, "want several blocks");

        Interlocked.Increment(ref generation);
        using (var newer = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None))
        {
            Assert.NotSame(held.Text, newer.Text);
            Assert.Equal(0, pool.Returned); // the old one is still held
            Assert.Equal(expected, Text(held.Text));
        }
        Assert.Equal(0, pool.Returned); // the newer one is current: it is kept
        held.Dispose();
        Assert.True(pool.Returned >= held.Text.Blocks.Count, $"{pool.Returned} of {held.Text.Blocks.Count} blocks returned");

        // The returned blocks serve the next rendering (give or take one: the compressed size varies a little).
        var allocatedBefore = pool.Allocated;
        Interlocked.Increment(ref generation);
        using var third = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.InRange(pool.Allocated - allocatedBefore, 0, 1);
        Assert.Contains("job_id=\"job-0-2\"", Text(third.Text), StringComparison.Ordinal);
    }

    private sealed class CountingPool : System.Buffers.ArrayPool<byte>
    {
        private readonly Stack<byte[]> free = new();
        public int Rented, Returned, Allocated;

        public override byte[] Rent(int minimumLength)
        {
            Rented++;
            if (free.TryPop(out var array)) return array;
            Allocated++;
            return new byte[minimumLength];
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Returned++;
            free.Push(array);
        }
    }

    private static async Task<string> TextAsync(PolledFamiliesCache cache, ExpositionFormat format)
    {
        using var lease = await cache.GetAsync(format, CancellationToken.None);
        return Text(lease.Text);
    }

    private static string Text(DeflatedText deflated)
    {
        using var text = deflated.OpenText();
        using var reader = new StreamReader(text, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
