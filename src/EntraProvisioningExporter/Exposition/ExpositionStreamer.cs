using System.Buffers;
using System.IO.Pipelines;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Serializes snapshots in chunks of about 64 KiB, written into one pooled buffer (cheap span writes, no per-piece
/// locking of the response pipe), so neither a whole exposition nor a whole large family is ever held in memory
/// at once; and writes a /metrics body from the precompressed polled families and a fresh live snapshot.
/// </summary>
public static class ExpositionStreamer
{
    private const int ChunkBytes = 64 * 1024;
    private const int SamplesPerSlice = 128;

    /// <summary>
    /// The snapshot's families as UTF-8 chunks, with the format's end marker when <paramref name="end"/> is set.
    /// Each chunk is only valid until the next is asked for (the buffer is reused).
    /// </summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Chunks(ExpositionSnapshot snapshot, ExpositionFormat format, bool end)
    {
        using var chunk = new PooledBufferWriter(ChunkBytes + 16 * 1024);
        foreach (var family in snapshot.Families)
        {
            if (family.Samples.Count == 0) continue;
            var names = PrometheusSerializer.WriteHeader(chunk, family, format);
            for (var from = 0; from < family.Samples.Count; from += SamplesPerSlice)
            {
                PrometheusSerializer.WriteSamples(chunk, family, names, from, Math.Min(family.Samples.Count, from + SamplesPerSlice));
                if (chunk.WrittenCount < ChunkBytes) continue;
                yield return chunk.WrittenMemory;
                chunk.Reset();
            }
        }
        if (end) PrometheusSerializer.WriteEnd(chunk, format);
        if (chunk.WrittenCount > 0) yield return chunk.WrittenMemory;
    }

    /// <summary>
    /// A /metrics body: the polled families (compressed once per change of the snapshots, or collected for this
    /// scrape when there are too many to keep) then the live ones, as one gzip member, or as text for a scraper
    /// that does not accept gzip.
    /// </summary>
    public static async Task WriteAsync(PipeWriter body, PolledFamiliesCache.Lease polledFamilies, ExpositionSnapshot live, ExpositionFormat format, bool gzip, CancellationToken cancellationToken)
    {
        var polled = polledFamilies.Text;
        var tail = polledFamilies.Uncached is { } uncached
            ? Chunks(uncached, format, end: false).Concat(Chunks(live, format, end: true))
            : Chunks(live, format, end: true);
        if (gzip)
        {
            await GzipMember.WriteAsync(body, polled, tail, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (polled.Length > 0) await InflateAsync(body, polled, cancellationToken).ConfigureAwait(false);
        foreach (var chunk in tail)
            await body.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kept text, inflated to the body 64 KiB at a time.</summary>
    private static async Task InflateAsync(PipeWriter body, DeflatedText polled, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            await using var text = polled.OpenText();
            int read;
            while ((read = text.Read(buffer, 0, buffer.Length)) > 0)
                await body.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
