using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Writes one gzip member (RFC 1952) to a response: header, the precompressed head's DEFLATE blocks as they are,
/// the tail compressed now by a fresh compressor (ending with the final block), then the CRC-32 and length of
/// head and tail together. One member, so every gzip reader decodes it, not only those that read concatenated
/// members.
/// </summary>
public static class GzipMember
{
    // ID1 ID2, CM=deflate, no flags, MTIME 0, XFL 0, OS 255 (unknown).
    private static readonly byte[] Header = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];

    public static async Task WriteAsync(PipeWriter body, DeflatedText head, IEnumerable<ReadOnlyMemory<byte>> tail, CancellationToken cancellationToken)
    {
        body.Write(Header);
        foreach (var block in head.Blocks)
            await body.WriteAsync(block, cancellationToken).ConfigureAwait(false);

        var sink = new SegmentSink();
        using var tailWriter = new DeflateWriter(sink, head.Crc, head.Length);
        foreach (var chunk in tail)
        {
            tailWriter.Write(chunk.Span);
            await SendAsync(body, sink, cancellationToken).ConfigureAwait(false);
        }
        tailWriter.Finish();
        await SendAsync(body, sink, cancellationToken).ConfigureAwait(false);

        var trailer = body.GetSpan(8);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, tailWriter.Crc);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], unchecked((uint)tailWriter.Length)); // ISIZE is the length mod 2^32
        body.Advance(8);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask SendAsync(PipeWriter body, SegmentSink sink, CancellationToken cancellationToken)
    {
        foreach (var piece in sink.Take())
            await body.WriteAsync(piece, cancellationToken).ConfigureAwait(false);
    }
}
