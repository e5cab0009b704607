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
        var names = WriteHeader(w, family, format);
        WriteSamples(w, family, names, 0, family.Samples.Count);
    }

    /// <summary>The UTF-8 names a family's samples are written under, computed once per family.</summary>
    public readonly record struct SampleNames(byte[] Sample, byte[] Bucket, byte[] Sum, byte[] Count);

    /// <summary>Writes HELP and TYPE, and returns the sample names for <see cref="WriteSamples"/>.</summary>
    public static SampleNames WriteHeader(IBufferWriter<byte> w, MetricFamily family, ExpositionFormat format)
    {
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
        return family.Kind == MetricKind.Histogram
            ? new SampleNames(Utf8.GetBytes(sampleName), Utf8.GetBytes(name + "_bucket"), Utf8.GetBytes(name + "_sum"), Utf8.GetBytes(name + "_count"))
            : new SampleNames(Utf8.GetBytes(sampleName), [], [], []);
    }

    /// <summary>Writes samples [from, to) of a family, so a caller can stream a large family in pieces.</summary>
    public static void WriteSamples(IBufferWriter<byte> w, MetricFamily family, SampleNames names, int from, int to)
    {
        for (var s = from; s < to; s++)
        {
            var sample = family.Samples[s];
            if (sample.Histogram is { } h)
            {
                for (var i = 0; i < h.CumulativeCounts.Length; i++)
                    Line(w, names.Bucket, sample.Labels, i < h.Bounds.Length ? Number(h.Bounds[i]) : "+Inf", h.CumulativeCounts[i]);
                Line(w, names.Sum, sample.Labels, null, h.Sum);
                Line(w, names.Count, sample.Labels, null, h.Count);
            }
            else
            {
                Line(w, names.Sample, sample.Labels, null, sample.Value);
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

    /// <summary>
    /// One sample line, written into a single span sized for the worst case (escaping can at most double a
    /// label value, UTF-8 at most triples a char), so the writer is asked for memory once per line, not per piece.
    /// </summary>
    private static void Line(IBufferWriter<byte> w, byte[] name, SampleLabels labels, string? le, double value)
    {
        var max = name.Length + 2 + 32 + 1 + (le is null ? 0 : 6 + le.Length);
        foreach (var (key, v) in labels) max += key.Length + 4 + v.Length * 3; // an escaped ASCII char takes 2 bytes, any other char at most 3
        var span = w.GetSpan(max);
        name.CopyTo(span);
        var n = name.Length;
        if (labels.Count > 0 || le is not null)
        {
            span[n++] = (byte)'{';
            var first = true;
            foreach (var (labelKey, labelValue) in labels)
            {
                if (!first) span[n++] = (byte)',';
                first = false;
                var key = LabelKey(labelKey);
                key.CopyTo(span[n..]);
                n += key.Length;
                n += EscapedValue(span[n..], labelValue);
                span[n++] = (byte)'"';
            }
            if (le is not null)
            {
                if (labels.Count > 0) span[n++] = (byte)',';
                n += Utf8.GetBytes("le=\"", span[n..]);
                n += Utf8.GetBytes(le, span[n..]);
                span[n++] = (byte)'"';
            }
            span[n++] = (byte)'}';
        }
        span[n++] = (byte)' ';
        if (double.IsFinite(value))
        {
            if (!value.TryFormat(span[n..], out var written, "R", CultureInfo.InvariantCulture)) throw new InvalidOperationException("A number did not fit.");
            n += written;
        }
        else
        {
            n += Utf8.GetBytes(Number(value), span[n..]);
        }
        span[n++] = (byte)'\n';
        w.Advance(n);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> LabelKeys = new(StringComparer.Ordinal);

    /// <summary>A label's sanitized name followed by =" as UTF-8, built once per distinct label name.</summary>
    private static byte[] LabelKey(string key) =>
        LabelKeys.TryGetValue(key, out var bytes) ? bytes
        : LabelKeys.Count < 1024 ? LabelKeys.GetOrAdd(key, k => Utf8.GetBytes(SanitizeName(k, allowColon: false) + "=\""))
        : Utf8.GetBytes(SanitizeName(key, allowColon: false) + "=\"");

    /// <summary>A label value, escaped (backslash, quote, newline), as UTF-8; returns the bytes written.</summary>
    private static int EscapedValue(Span<byte> span, string value)
    {
        var rest = value.AsSpan();
        var n = 0;
        while (true)
        {
            var i = rest.IndexOfAny('\\', '\n', '"');
            if (i < 0) return n + Utf8.GetBytes(rest, span[n..]);
            n += Utf8.GetBytes(rest[..i], span[n..]);
            span[n++] = (byte)'\\';
            span[n++] = rest[i] == '\n' ? (byte)'n' : (byte)rest[i];
            rest = rest[(i + 1)..];
        }
    }

    internal static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

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
