using EntraProvisioningExporter.Exposition;

namespace EntraProvisioningExporter.Tests.Exposition;

public class ScrapeCoordinatorTests
{
    [Fact]
    public async Task Concurrent_scrapes_share_the_in_flight_collection()
    {
        var calls = 0;
        using var release = new ManualResetEventSlim();
        var coordinator = new ScrapeCoordinator(() =>
        {
            Interlocked.Increment(ref calls);
            release.Wait(TimeSpan.FromSeconds(10));
            return new ExpositionSnapshot([]);
        });
        var scrapes = Enumerable.Range(0, 8).Select(_ => coordinator.CollectAsync(CancellationToken.None)).ToList();
        release.Set();
        var results = await Task.WhenAll(scrapes);
        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Same(results[0], r));
    }

    [Fact]
    public async Task A_scrape_after_a_collection_finished_collects_again()
    {
        var calls = 0;
        var coordinator = new ScrapeCoordinator(() => new ExpositionSnapshot([new MetricFamily("n", "h", MetricKind.Gauge, [new Sample([], Interlocked.Increment(ref calls))])]));
        var first = await coordinator.CollectAsync(CancellationToken.None);
        var second = await coordinator.CollectAsync(CancellationToken.None);
        Assert.Equal(1, first.Families[0].Samples[0].Value);
        Assert.Equal(2, second.Families[0].Samples[0].Value);
    }

    [Fact]
    public async Task A_failed_collection_fails_its_scrapes_and_the_next_one_retries()
    {
        var fail = true;
        var coordinator = new ScrapeCoordinator(() => fail ? throw new InvalidOperationException("boom") : new ExpositionSnapshot([]));
        await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.CollectAsync(CancellationToken.None));
        fail = false;
        Assert.NotNull(await coordinator.CollectAsync(CancellationToken.None));
    }
}
