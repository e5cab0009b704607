using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;
using EntraProvisioningExporter.Exposition;

namespace EntraProvisioningExporter.Tests.Exposition;

public class GzipMemberTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("123456789", 0xCBF43926u)] // the standard check value of CRC-32/ISO-HDLC
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    public void Crc32_matches_the_published_check_values(string text, uint expected) =>
        Assert.Equal(expected, Crc32.Append(0, Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Crc32_carried_across_pieces_equals_the_crc_of_the_whole_and_gzips_own()
    {
        var data = new byte[100_003];
        new Random(7).NextBytes(data);
        uint carried = 0;
        var from = 0;
        foreach (var size in new[] { 1, 7, 8, 9, 4096, data.Length - 4121 })
        {
            carried = Crc32.Append(carried, data.AsSpan(from, size));
            from += size;
        }
        Assert.Equal(data.Length, from);
        Assert.Equal(Crc32.Append(0, data), carried);

        // The platform's gzip writes its own CRC-32 into the member trailer: an independent implementation.
        using var compressed = new MemoryStream();
        using (var gz = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(compressed.ToArray().AsSpan((int)compressed.Length - 8)), carried);
    }

    public static TheoryData<int, int> Sizes => new()
    {
        { 0, 0 },          // nothing polled yet, nothing live
        { 0, 5_000 },
        { 300_000, 0 },
        { 300_000, 5_000 }, // many 64 KiB blocks in the head
        { 17, 1 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task A_precompressed_head_and_a_tail_compressed_later_make_one_gzip_member_of_both(int headChars, int tailChars)
    {
        var head = Text(headChars, seed: 1);
        var tail = Text(tailChars, seed: 2);
        var deflated = DeflatedText.Compress(Chunks(head, 65_536));
        Assert.Equal(head.Length, deflated.Length);

        var body = await WriteAsync(deflated, Chunks(tail, 1_000));

        // One member: the platform's reader (which also reads concatenated members) gives both texts, and the
        // trailer at the very end carries the CRC and length of head and tail together.
        Assert.Equal(head.Concat(tail).ToArray(), Decompress(body));
        Assert.Equal(0x1f, body[0]);
        Assert.Equal(0x8b, body[1]);
        var whole = head.Concat(tail).ToArray();
        Assert.Equal(Crc32.Append(0, whole), BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(body.Length - 8)));
        Assert.Equal((uint)whole.Length, BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(body.Length - 4)));
        Assert.DoesNotContain(Members(body).Skip(1), _ => true);
        if (headChars > 100_000) Assert.True(deflated.CompressedLength < headChars / 2, "the head was not compressed");
    }

    [Fact]
    public void The_head_alone_inflates_to_its_text_for_a_scraper_without_gzip()
    {
        var head = Text(200_000, seed: 3);
        using var text = DeflatedText.Compress(Chunks(head, 4_096)).OpenText();
        using var copy = new MemoryStream();
        text.CopyTo(copy);
        Assert.Equal(head, copy.ToArray());
    }

    private static async Task<byte[]> WriteAsync(DeflatedText head, IEnumerable<ReadOnlyMemory<byte>> tail)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        await GzipMember.WriteAsync(pipe.Writer, head, tail, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        using var body = new MemoryStream();
        await pipe.Reader.CopyToAsync(body);
        return body.ToArray();
    }

    private static byte[] Decompress(byte[] gzip)
    {
        using var gz = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gz.CopyTo(plain);
        return plain.ToArray();
    }

    /// <summary>Offsets of what looks like a gzip header after the first: there must be none left after decoding one member.</summary>
    private static IEnumerable<int> Members(byte[] gzip)
    {
        // Decode exactly one member with a raw inflater over the bytes after the 10-byte header: it must end
        // 8 bytes (the trailer) before the body does.
        using var input = new MemoryStream(gzip, 10, gzip.Length - 10);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress, leaveOpen: true);
        inflate.CopyTo(Stream.Null);
        yield return 0;
        if (gzip.Length - 10 - input.Position > 8) yield return (int)input.Position + 10;
    }

    /// <summary>Metric-like text (repetitive, so it compresses), with some non-ASCII.</summary>
    private static byte[] Text(int chars, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder(chars + 100);
        while (sb.Length < chars)
            sb.Append("entra_provisioning_job_status{job_id=\"scim.").Append(random.Next(100_000)).Append("\",code=\"Zürich\"} ").Append(random.Next(2)).Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString(0, chars));
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] text, int size)
    {
        // Like the serializer's, each chunk is only valid until the next is asked for: reuse one buffer.
        var buffer = new byte[size];
        for (var from = 0; from < text.Length; from += size)
        {
            var n = Math.Min(size, text.Length - from);
            text.AsSpan(from, n).CopyTo(buffer);
            yield return buffer.AsMemory(0, n);
            Array.Clear(buffer);
        }
    }
}
