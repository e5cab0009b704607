using System.Buffers;
using System.Globalization;
using System.Text;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Writes metric families in the Prometheus text format 0.0.4 or OpenMetrics 1.0, straight into a buffer
/// writer as UTF-8 (no intermediate strings per line), to the letter of both specs:
/// - label values escape \ " and newline; HELP escapes \ and newline (and " in OpenMetrics);
/// - +Inf, -Inf, NaN; shortest round-trip numbers;
/// - counters: text 0.0.4 names the family with _total, OpenMetrics names it without and suffixes samples;
/// - OpenMetrics ends with "# EOF".
/// Metric and label names are made valid ([a-zA-Z_:][a-zA-Z0-9_:]*, labels without ':') rather than trusted.
/// </summary>
public static class PrometheusSerializer
{
    private static readonly UTF8Encoding Utf8 = new(false);

    public static void WriteFamily(IBufferWriter<byte> w, MetricFamily family, ExpositionFormat format)
    {
        if (family.Samples.Count == 0) return;
        var om = format == ExpositionFormat.OpenMetrics100;
        var name = SanitizeName(family.Name, allowColon: true);
        var familyName = family.Kind == MetricKind.Counter && om && name.EndsWith("_total", StringComparison.Ordinal) ? name[..^6] : name;
        var sampleName = family.Kind == MetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
        if (family.Kind == MetricKind.Counter && !om) familyName = sampleName;

        Ascii(w, "# HELP ");
        Ascii(w, familyName);
        Ascii(w, " ");
        Escaped(w, family.Help, escapeQuote: om);
        Ascii(w, "\n# TYPE ");
        Ascii(w, familyName);
        Ascii(w, family.Kind switch { MetricKind.Counter => " counter\n", MetricKind.Histogram => " histogram\n", _ => " gauge\n" });

        foreach (var sample in family.Samples)
        {
            if (sample.Histogram is { } h)
            {
                for (var i = 0; i < h.CumulativeCounts.Length; i++)
                {
                    Series(w, name + "_bucket", sample.Labels, "le", i < h.Bounds.Length ? Number(h.Bounds[i]) : "+Inf");
                    Long(w, h.CumulativeCounts[i]);
                    Ascii(w, "\n");
                }
                Series(w, name + "_sum", sample.Labels, null, null);
                Double(w, h.Sum);
                Ascii(w, "\n");
                Series(w, name + "_count", sample.Labels, null, null);
                Long(w, h.Count);
                Ascii(w, "\n");
            }
            else
            {
                Series(w, sampleName, sample.Labels, null, null);
                Double(w, sample.Value);
                Ascii(w, "\n");
            }
        }
    }

    public static void WriteEnd(IBufferWriter<byte> w, ExpositionFormat format)
    {
        if (format == ExpositionFormat.OpenMetrics100) Ascii(w, "# EOF\n");
    }

    /// <summary>The whole snapshot as one string: for tests and the golden file.</summary>
    public static string ToText(ExpositionSnapshot snapshot, ExpositionFormat format)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var family in snapshot.Families) WriteFamily(buffer, family, format);
        WriteEnd(buffer, format);
        return Utf8.GetString(buffer.WrittenSpan);
    }

    private static void Series(IBufferWriter<byte> w, string name, KeyValuePair<string, string>[] labels, string? extraKey, string? extraValue)
    {
        Ascii(w, name);
        if (labels.Length > 0 || extraKey is not null)
        {
            Ascii(w, "{");
            var first = true;
            foreach (var (key, value) in labels)
            {
                if (!first) Ascii(w, ",");
                first = false;
                Ascii(w, SanitizeName(key, allowColon: false));
                Ascii(w, "=\"");
                Escaped(w, value, escapeQuote: true);
                Ascii(w, "\"");
            }
            if (extraKey is not null)
            {
                if (!first) Ascii(w, ",");
                Ascii(w, extraKey);
                Ascii(w, "=\"");
                Ascii(w, extraValue!);
                Ascii(w, "\"");
            }
            Ascii(w, "}");
        }
        Ascii(w, " ");
    }

    internal static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static void Double(IBufferWriter<byte> w, double value)
    {
        if (!double.IsFinite(value))
        {
            Ascii(w, Number(value));
            return;
        }
        var span = w.GetSpan(32);
        if (!value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture)) throw new InvalidOperationException("A number did not fit.");
        w.Advance(written);
    }

    private static void Long(IBufferWriter<byte> w, long value)
    {
        var span = w.GetSpan(24);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        w.Advance(written);
    }

    private static void Ascii(IBufferWriter<byte> w, string text)
    {
        var span = w.GetSpan(Utf8.GetMaxByteCount(text.Length));
        w.Advance(Utf8.GetBytes(text, span));
    }

    private static void Escaped(IBufferWriter<byte> w, string text, bool escapeQuote)
    {
        if (text.AsSpan().IndexOfAny('\\', '\n', '"') < 0)
        {
            Ascii(w, text);
            return;
        }
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '"' when escapeQuote: sb.Append("\\\""); break;
                default: sb.Append(c); break;
            }
        }
        Ascii(w, sb.ToString());
    }

    internal static string SanitizeName(string name, bool allowColon)
    {
        if (name.Length == 0) return "_";
        Span<char> chars = name.Length <= 256 ? stackalloc char[name.Length] : new char[name.Length];
        var changed = false;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' || (allowColon && c == ':') || (i > 0 && c is >= '0' and <= '9');
            chars[i] = ok ? c : '_';
            changed |= !ok;
        }
        return changed ? new string(chars) : name;
    }
}
