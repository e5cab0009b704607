using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Text compressed once and served many times: raw DEFLATE blocks that end on a byte boundary with no final
/// block (a sync flush), plus the text's CRC-32 and length. That is the head of a gzip member: more text,
/// compressed later by a fresh compressor, can follow it, with the CRC carried on (<see cref="GzipMember"/>);
/// pigz assembles members from separately compressed pieces the same way. The blocks are 64 KiB pieces, so no
/// single large array is built.
/// </summary>
public sealed class DeflatedText
{
    /// <summary>A final, empty fixed-Huffman block: what ends the blocks when they are inflated on their own.</summary>
    internal static readonly ReadOnlyMemory<byte> FinalEmptyBlock = new byte[] { 0x03, 0x00 };

    private readonly ArrayPool<byte>? pool;

    private DeflatedText(IReadOnlyList<ReadOnlyMemory<byte>> blocks, uint crc, long length, ArrayPool<byte>? pool = null)
    {
        this.pool = pool;
        Blocks = blocks;
        Crc = crc;
        Length = length;
        CompressedLength = blocks.Sum(b => (long)b.Length);
    }

    public static DeflatedText Empty { get; } = new([], 0, 0);

    public IReadOnlyList<ReadOnlyMemory<byte>> Blocks { get; }
    public uint Crc { get; }
    public long Length { get; }
    public long CompressedLength { get; }

    /// <summary>
    /// Compresses the chunks (each read before the next is asked for) at the fastest level, into blocks rented
    /// from <paramref name="pool"/> when one is given (then <see cref="Recycle"/> gives them back).
    /// </summary>
    public static DeflatedText Compress(IEnumerable<ReadOnlyMemory<byte>> chunks, ArrayPool<byte>? pool = null)
    {
        var sink = new SegmentSink(pool);
        using var deflate = new DeflateWriter(sink);
        foreach (var chunk in chunks) deflate.Write(chunk.Span);
        deflate.Flush();
        // Sealed, so the final block the writer adds when it is disposed is dropped.
        return new DeflatedText(sink.Seal(), deflate.Crc, deflate.Length, pool);
    }

    /// <summary>Returns the blocks to the pool they came from. Nothing may read this text afterwards.</summary>
    public void Recycle()
    {
        if (pool is null) return;
        foreach (var block in Blocks)
            if (MemoryMarshal.TryGetArray(block, out var segment)) pool.Return(segment.Array!);
    }

    /// <summary>The text itself, inflated as it is read: for a scraper that does not accept gzip.</summary>
    public Stream OpenText() => new DeflateStream(new SegmentReadStream([.. Blocks, FinalEmptyBlock]), CompressionMode.Decompress);
}

/// <summary>Raw DEFLATE at the fastest level into a sink, keeping the CRC-32 and length of the text, carried on from a head.</summary>
internal sealed class DeflateWriter(SegmentSink sink, uint crc = 0, long length = 0) : IDisposable
{
    private readonly DeflateStream deflate = new(sink, CompressionLevel.Fastest, leaveOpen: true);
    private bool wrote;

    public uint Crc { get; private set; } = crc;
    public long Length { get; private set; } = length;

    public void Write(ReadOnlySpan<byte> text)
    {
        Crc = Crc32.Append(Crc, text);
        Length += text.Length;
        wrote |= !text.IsEmpty;
        deflate.Write(text);
    }

    /// <summary>A sync flush: everything written so far, ending on a byte boundary, with no final block.</summary>
    public void Flush() => deflate.Flush();

    /// <summary>The final block. DeflateStream writes none at all when nothing was written to it, so then it is written here.</summary>
    public void Finish()
    {
        deflate.Dispose();
        if (!wrote) sink.Write(DeflatedText.FinalEmptyBlock.Span);
    }

    public void Dispose() => deflate.Dispose();
}

/// <summary>A write-only stream that keeps what is written in 64 KiB arrays (one block per array), rented when a pool is given.</summary>
internal sealed class SegmentSink(ArrayPool<byte>? pool = null) : Stream
{
    public const int SegmentBytes = 64 * 1024;
    private readonly List<ReadOnlyMemory<byte>> taken = [];
    private byte[]? current;
    private int used;
    private bool sealedOff;

    /// <summary>Everything written since the last call, in order.</summary>
    public List<ReadOnlyMemory<byte>> Take()
    {
        if (current is not null && used > 0) taken.Add(current.AsMemory(0, used));
        else if (current is not null) pool?.Return(current);
        current = null;
        used = 0;
        var result = new List<ReadOnlyMemory<byte>>(taken);
        taken.Clear();
        return result;
    }

    /// <summary>Everything written so far; anything written after is dropped.</summary>
    public List<ReadOnlyMemory<byte>> Seal()
    {
        var result = Take();
        sealedOff = true;
        return result;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (sealedOff) return;
        while (!buffer.IsEmpty)
        {
            if (current is null || used == current.Length)
            {
                if (current is not null) taken.Add(current);
                current = pool?.Rent(SegmentBytes) ?? new byte[SegmentBytes];
                used = 0;
            }
            var n = Math.Min(buffer.Length, current.Length - used);
            buffer[..n].CopyTo(current.AsSpan(used));
            used += n;
            buffer = buffer[n..];
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A read-only stream over pieces of memory, one after the other.</summary>
internal sealed class SegmentReadStream(IReadOnlyList<ReadOnlyMemory<byte>> segments) : Stream
{
    private int segment;
    private int offset;

    public override int Read(Span<byte> buffer)
    {
        while (segment < segments.Count && offset == segments[segment].Length)
        {
            segment++;
            offset = 0;
        }
        if (segment == segments.Count) return 0;
        var n = Math.Min(buffer.Length, segments[segment].Length - offset);
        segments[segment].Span.Slice(offset, n).CopyTo(buffer);
        offset += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
