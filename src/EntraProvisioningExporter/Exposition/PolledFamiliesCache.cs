using System.Collections.Concurrent;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// The polled families (every job and log series: values that change only when a source publishes a snapshot)
/// collected, serialized and compressed once per change of the snapshots and format, instead of once per
/// scrape. At 1,000 jobs that is 44,000 series: collecting, writing and compressing them costs about 90 ms of
/// CPU, which every scrape of every Prometheus replica used to pay. A scrape reads the current rendering; when
/// the snapshots have changed since it was made (the generation moved), the scrape renders anew first, so no
/// scrape ever sees data older than the snapshots at its arrival. <see cref="RefreshAsync"/> renders ahead of
/// the next scrape, right after a poll publishes, for the formats scraped recently; each scrape earns one such
/// render (up to <see cref="MaxRendersAhead"/> banked), so rendering ahead never costs more than the scrapes
/// themselves would, however often many tenants publish. The clock is real time: this is about CPU, not
/// scenario time.
/// </summary>
public sealed class PolledFamiliesCache(Func<long> generation, Func<ExpositionSnapshot> collect, TimeProvider time)
{
    /// <summary>Renders ahead a run of scrapes can bank: one poll cycle publishes job and log snapshots.</summary>
    public const int MaxRendersAhead = 2;

    /// <summary>A format not scraped for this long is no longer rendered ahead.</summary>
    public static readonly TimeSpan RecentlyScraped = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ConcurrentDictionary<ExpositionFormat, Rendering> renderings = new();
    private readonly ConcurrentDictionary<ExpositionFormat, DateTimeOffset> lastScraped = new();
    private readonly object creditGate = new();
    private int rendersAhead = MaxRendersAhead;

    private sealed record Rendering(long Generation, DeflatedText Text);

    /// <summary>How many times the polled families were collected and rendered (a self-check for tests and benchmarks).</summary>
    public long Renders => Interlocked.Read(ref renders);
    private long renders;

    /// <summary>The current rendering for a scrape in <paramref name="format"/>.</summary>
    public async Task<DeflatedText> GetAsync(ExpositionFormat format, CancellationToken cancellationToken)
    {
        lastScraped[format] = time.GetUtcNow();
        lock (creditGate) rendersAhead = Math.Min(MaxRendersAhead, rendersAhead + 1);
        return (await CurrentAsync(format, cancellationToken).ConfigureAwait(false)).Text;
    }

    /// <summary>Renders, ahead of the next scrape, every recently scraped format whose rendering is out of date.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow() - RecentlyScraped;
        foreach (var (format, at) in lastScraped)
        {
            if (at < since || (renderings.TryGetValue(format, out var last) && last.Generation == generation())) continue;
            lock (creditGate)
            {
                if (rendersAhead == 0) return; // left to the next scrape
                rendersAhead--;
            }
            await CurrentAsync(format, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Rendering> CurrentAsync(ExpositionFormat format, CancellationToken cancellationToken)
    {
        if (renderings.TryGetValue(format, out var r) && r.Generation == generation()) return r;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Read before collecting: a snapshot published during the collection leaves this rendering marked
            // older than it may be, so the next scrape renders again rather than missing the change.
            var current = generation();
            if (renderings.TryGetValue(format, out r) && r.Generation == current) return r;
            var snapshot = collect();
            var rendering = new Rendering(current, DeflatedText.Compress(ExpositionStreamer.Chunks(snapshot, format, end: false)));
            renderings[format] = rendering;
            Interlocked.Increment(ref renders);
            return rendering;
        }
        finally
        {
            gate.Release();
        }
    }
}
