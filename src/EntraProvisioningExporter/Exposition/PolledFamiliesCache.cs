using System.Buffers;
using System.Collections.Concurrent;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// The polled families (every job and log series: values that change only when a source publishes a snapshot)
/// collected, serialized and compressed once per change of the snapshots and format, instead of once per
/// scrape. At 1,000 jobs that is 44,000 series: collecting, writing and compressing them costs about 90 ms of
/// CPU, which every scrape of every Prometheus replica used to pay. A scrape reads the current rendering; when
/// the snapshots have changed since it was made (the generation moved), the scrape renders anew first, so no
/// scrape ever sees data older than the snapshots at its arrival. <see cref="RefreshAsync"/> renders ahead of
/// the next scrape, right after a poll publishes, for the formats scraped recently. Each scrape earns one render
/// and each render spends one (up to <see cref="MaxRendersAhead"/> banked), so there are never more renders than
/// scrapes plus that bank, however often tenants publish: rendering ahead moves the cost out of the scrape,
/// it never adds to it. The clock is real time: this is about CPU, not scenario time.
/// A rendering's 64 KiB blocks come from a pool of their own and go back to it once a newer rendering has
/// replaced it and the last scrape reading it has finished (<see cref="Lease"/>): a rendering lives from one poll
/// to the next, long enough to reach gen2, where leaving each one to the GC grew the heap.
/// Past <see cref="DefaultMaxCachedSeries"/> series (about 5,700 jobs) nothing is kept, because the memory would
/// outweigh the CPU saved (measured at 10,000 jobs: 32 MB a rendering, RSS 364 → 436 MiB against a 400 MB
/// target): every scrape then collects the polled families and streams them, compressed as it goes, as before
/// this cache. Sharding the tenants across replicas (README: Scaling out) keeps each under it.
/// </summary>
public sealed class PolledFamiliesCache(Func<long> generation, Func<ExpositionSnapshot> collect, TimeProvider time, ArrayPool<byte>? blocks = null, int maxCachedSeries = PolledFamiliesCache.DefaultMaxCachedSeries)
{
    /// <summary>The most series a kept rendering may hold (at about 44 series and 3.2 kB compressed a job: 5,700 jobs, 18 MB).</summary>
    public const int DefaultMaxCachedSeries = 250_000;

    /// <summary>The blocks of every cache's renderings: at most 64 MB, two formats at the series budget, each with a replaced one still being read.</summary>
    private static readonly ArrayPool<byte> SharedBlocks = ArrayPool<byte>.Create(SegmentSink.SegmentBytes, 1024);
    private readonly ArrayPool<byte> pool = blocks ?? SharedBlocks;

    /// <summary>Renders a run of scrapes can bank for rendering ahead: one poll cycle publishes job and log snapshots.</summary>
    public const int MaxRendersAhead = 2;

    /// <summary>A format not scraped for this long is no longer rendered ahead.</summary>
    public static readonly TimeSpan RecentlyScraped = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ConcurrentDictionary<ExpositionFormat, Rendering> renderings = new();
    private readonly ConcurrentDictionary<ExpositionFormat, DateTimeOffset> lastScraped = new();
    private readonly ConcurrentDictionary<ExpositionFormat, bool> streamed = new();
    private readonly object creditGate = new();
    private int rendersAhead = MaxRendersAhead;

    /// <summary>One rendering; its blocks go back to the pool when it is retired and no scrape holds it.</summary>
    internal sealed class Rendering(long generation, DeflatedText text, ExpositionSnapshot? uncached = null)
    {
        private readonly object gate = new();
        private int leases;
        private bool retired;

        public long Generation { get; } = generation;
        public DeflatedText Text { get; } = text;
        public ExpositionSnapshot? Uncached { get; } = uncached;

        public bool TryAcquire()
        {
            lock (gate)
            {
                if (retired) return false;
                leases++;
                return true;
            }
        }

        public void Release()
        {
            lock (gate)
                if (--leases > 0 || !retired) return;
            Text.Recycle();
        }

        public void Retire()
        {
            lock (gate)
            {
                retired = true;
                if (leases > 0) return;
            }
            Text.Recycle();
        }
    }

    /// <summary>
    /// A scrape's hold on a rendering: its blocks stay valid until this is disposed. Past the series budget there is
    /// no rendering: <see cref="Uncached"/> holds the collected families, to stream, and <see cref="Text"/> is empty.
    /// </summary>
    public readonly struct Lease : IDisposable
    {
        private readonly Rendering rendering;

        internal Lease(Rendering rendering) => this.rendering = rendering;

        public DeflatedText Text => rendering.Text;
        public ExpositionSnapshot? Uncached => rendering.Uncached;

        public void Dispose() => rendering?.Release();
    }

    /// <summary>Moves whenever a snapshot the polled families are read from is published.</summary>
    public long Generation => generation();

    /// <summary>How many times the polled families were collected and rendered (a self-check for tests and benchmarks).</summary>
    public long Renders => Interlocked.Read(ref renders);
    private long renders;

    /// <summary>The current rendering for a scrape in <paramref name="format"/>, held until the lease is disposed.</summary>
    public async Task<Lease> GetAsync(ExpositionFormat format, CancellationToken cancellationToken)
    {
        lastScraped[format] = time.GetUtcNow();
        lock (creditGate) rendersAhead = Math.Min(MaxRendersAhead, rendersAhead + 1);
        while (true)
        {
            var rendering = await CurrentAsync(format, cancellationToken).ConfigureAwait(false);
            if (rendering.TryAcquire()) return new Lease(rendering);
            // Replaced (and retired) between the two lines: take the newer one.
        }
    }

    /// <summary>Renders, ahead of the next scrape, every recently scraped format whose rendering is out of date.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow() - RecentlyScraped;
        foreach (var (format, at) in lastScraped)
        {
            if (at < since || streamed.GetValueOrDefault(format) || (renderings.TryGetValue(format, out var last) && last.Generation == generation())) continue;
            lock (creditGate)
                if (rendersAhead == 0) return; // left to the next scrape
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
            Interlocked.Increment(ref renders);
            lock (creditGate) rendersAhead = Math.Max(0, rendersAhead - 1);
            var tooMany = snapshot.Families.Sum(f => f.Samples.Count) > maxCachedSeries;
            streamed[format] = tooMany;
            if (tooMany)
            {
                if (renderings.TryRemove(format, out var dropped)) dropped.Retire();
                return new Rendering(current, DeflatedText.Empty, snapshot);
            }
            var rendering = new Rendering(current, DeflatedText.Compress(ExpositionStreamer.Chunks(snapshot, format, end: false), pool));
            var replaced = renderings.TryGetValue(format, out var old) ? old : null;
            renderings[format] = rendering;
            replaced?.Retire();
            return rendering;
        }
        finally
        {
            gate.Release();
        }
    }
}
