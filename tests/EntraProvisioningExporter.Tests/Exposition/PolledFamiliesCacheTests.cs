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
        var first = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        var again = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.Same(first, again);
        Assert.Equal(1, collections);
        Assert.Contains("polled_value{job_id=\"a\"} 1\n", Text(again), StringComparison.Ordinal);

        Interlocked.Increment(ref generation);
        var after = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.Equal(2, collections);
        Assert.Contains("polled_value{job_id=\"a\"} 2\n", Text(after), StringComparison.Ordinal);
        Assert.Equal(2, cache.Renders);
    }

    [Fact]
    public async Task Each_format_has_its_own_rendering_without_the_end_marker()
    {
        var cache = Cache();
        var text = Text(await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None));
        var openMetrics = Text(await cache.GetAsync(ExpositionFormat.OpenMetrics100, CancellationToken.None));
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
        Assert.All(results, r => Assert.Same(results[0], r));
    }

    [Fact]
    public async Task Rendering_ahead_covers_formats_scraped_recently_and_never_outruns_the_scrapes()
    {
        var cache = Cache();
        await cache.RefreshAsync(CancellationToken.None);
        Assert.Equal(0, collections); // nobody has scraped: nothing to render ahead

        await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        await cache.RefreshAsync(CancellationToken.None);
        Assert.Equal(1, collections); // up to date already

        Interlocked.Increment(ref generation);
        await cache.RefreshAsync(CancellationToken.None);
        Assert.Equal(2, collections);
        await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.Equal(2, collections); // the scrape found it ready

        // Publications faster than scrapes (many tenants): a scrape earns one render ahead, at most two banked.
        for (var i = 0; i < 5; i++)
        {
            Interlocked.Increment(ref generation);
            await cache.RefreshAsync(CancellationToken.None);
        }
        Assert.Equal(2 + PolledFamiliesCache.MaxRendersAhead, collections);
        await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.Equal(5, collections); // that scrape rendered for itself
        Interlocked.Increment(ref generation);
        await cache.RefreshAsync(CancellationToken.None);
        Assert.Equal(6, collections); // and earned one more

        time.Advance(PolledFamiliesCache.RecentlyScraped + TimeSpan.FromSeconds(1));
        await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        time.Advance(PolledFamiliesCache.RecentlyScraped + TimeSpan.FromSeconds(1));
        Interlocked.Increment(ref generation);
        await cache.RefreshAsync(CancellationToken.None);
        Assert.Equal(6, collections); // not scraped for a while: left to the next scrape
    }

    [Fact]
    public async Task A_failed_collection_fails_that_scrape_and_the_next_one_tries_again()
    {
        var fail = true;
        var cache = new PolledFamiliesCache(() => 0, () => fail ? throw new InvalidOperationException("boom") : new ExpositionSnapshot([]), time);
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None));
        fail = false;
        var text = await cache.GetAsync(ExpositionFormat.PrometheusText004, CancellationToken.None);
        Assert.Equal(0, text.Length);
    }

    private static string Text(DeflatedText deflated)
    {
        using var text = deflated.OpenText();
        using var reader = new StreamReader(text, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
