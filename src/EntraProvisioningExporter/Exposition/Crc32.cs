namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as the gzip trailer needs it, computed slicing-by-8.
/// Written here because System.IO.Hashing (whose Crc32 is the package this would be) is absent from this
/// registry; the running value can be carried from one piece of text to the next, which is what lets a
/// gzip member be assembled from pieces compressed at different times (<see cref="DeflatedText"/>).
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/> following text whose CRC was <paramref name="crc"/> (0 to start).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        var table = Table;
        while (data.Length >= 8)
        {
            var one = c ^ (uint)(data[0] | data[1] << 8 | data[2] << 16 | data[3] << 24);
            var two = (uint)(data[4] | data[5] << 8 | data[6] << 16 | data[7] << 24);
            c = table[7 * 256 + (one & 0xFF)] ^ table[6 * 256 + ((one >> 8) & 0xFF)] ^ table[5 * 256 + ((one >> 16) & 0xFF)] ^ table[4 * 256 + (one >> 24)]
              ^ table[3 * 256 + (two & 0xFF)] ^ table[2 * 256 + ((two >> 8) & 0xFF)] ^ table[256 + ((two >> 16) & 0xFF)] ^ table[two >> 24];
            data = data[8..];
        }
        foreach (var b in data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        for (var i = 0; i < 256; i++)
            for (var slice = 1; slice < 8; slice++)
                table[slice * 256 + i] = (table[(slice - 1) * 256 + i] >> 8) ^ table[table[(slice - 1) * 256 + i] & 0xFF];
        return table;
    }
}
