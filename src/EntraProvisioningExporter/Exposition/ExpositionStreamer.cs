using System.Buffers;
using System.IO.Pipelines;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Streams a snapshot to an HTTP body in chunks of about 64 KiB: serialized into one pooled buffer (cheap
/// span writes, no per-piece locking of the response pipe), handed to the body a chunk at a time and flushed, so
/// neither a whole exposition nor a whole large family is ever held in memory at once.
/// </summary>
public static class ExpositionStreamer
{
    private const int ChunkBytes = 64 * 1024;
    private const int SamplesPerSlice = 128;

    public static async Task WriteAsync(PipeWriter body, ExpositionSnapshot snapshot, ExpositionFormat format, CancellationToken cancellationToken)
    {
        using var chunk = new PooledBufferWriter(ChunkBytes + 16 * 1024);
        foreach (var family in snapshot.Families)
        {
            if (family.Samples.Count == 0) continue;
            var names = PrometheusSerializer.WriteHeader(chunk, family, format);
            for (var from = 0; from < family.Samples.Count; from += SamplesPerSlice)
            {
                PrometheusSerializer.WriteSamples(chunk, family, names, from, Math.Min(family.Samples.Count, from + SamplesPerSlice));
                if (chunk.WrittenCount >= ChunkBytes) await SendAsync(body, chunk, cancellationToken).ConfigureAwait(false);
            }
        }
        PrometheusSerializer.WriteEnd(chunk, format);
        await SendAsync(body, chunk, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask SendAsync(PipeWriter body, PooledBufferWriter chunk, CancellationToken cancellationToken)
    {
        body.Write(chunk.WrittenSpan);
        chunk.Reset();
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
