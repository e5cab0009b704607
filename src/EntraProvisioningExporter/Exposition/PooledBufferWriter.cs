using System.Buffers;

namespace EntraProvisioningExporter.Exposition;

/// <summary>An <see cref="IBufferWriter{T}"/> over one array rented from the shared pool, reused across writes.</summary>
public sealed class PooledBufferWriter(int initialCapacity) : IBufferWriter<byte>, IDisposable
{
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public int WrittenCount { get; private set; }
    public ReadOnlySpan<byte> WrittenSpan => buffer.AsSpan(0, WrittenCount);
    public ReadOnlyMemory<byte> WrittenMemory => buffer.AsMemory(0, WrittenCount);

    public void Reset() => WrittenCount = 0;

    public void Advance(int count) => WrittenCount += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return buffer.AsMemory(WrittenCount);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return buffer.AsSpan(WrittenCount);
    }

    private void Ensure(int sizeHint)
    {
        if (buffer.Length - WrittenCount >= Math.Max(sizeHint, 1)) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, WrittenCount + sizeHint));
        WrittenSpan.CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
}
