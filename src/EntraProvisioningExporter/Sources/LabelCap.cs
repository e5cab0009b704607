using System.Text;

namespace EntraProvisioningExporter.Sources;

/// <summary>
/// The cap on a label value read from Microsoft: <see cref="MaxBytes"/> bytes of UTF-8. An id over it drops its object
/// (a cut id could merge two objects' series, or join the wrong series across sources); a name over it is cut and ends
/// with <see cref="Marker"/>. With at most <see cref="MaxEntriesPerJob"/> entries of any per-job list, a job's share of
/// a scrape is bounded whatever Graph sends.
/// </summary>
public static class LabelCap
{
    public const int MaxBytes = 1024;

    /// <summary>Entries of a job's list-valued fields (entry counts by type, progress by unit) kept, in Graph's order.</summary>
    public const int MaxEntriesPerJob = 100;

    public const string Marker = "…[truncated]";

    public static bool IdFits(string id) => id.Length <= MaxBytes / 3 || Encoding.UTF8.GetByteCount(id) <= MaxBytes;

    public static string Name(string value)
    {
        if (value.Length <= MaxBytes / 3 || Encoding.UTF8.GetByteCount(value) <= MaxBytes) return value;
        var budget = MaxBytes - Encoding.UTF8.GetByteCount(Marker);
        var length = 0;
        var bytes = 0;
        while (length < value.Length)
        {
            var width = char.IsHighSurrogate(value[length]) && length + 1 < value.Length ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(value.AsSpan(length, width));
            if (bytes + size > budget) break;
            bytes += size;
            length += width;
        }
        return string.Concat(value.AsSpan(0, length), Marker);
    }

    public static string? NameOrNull(string? value) => value is null ? null : Name(value);
}
