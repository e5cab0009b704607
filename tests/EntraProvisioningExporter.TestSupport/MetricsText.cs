using System.Globalization;
using System.Text.RegularExpressions;

namespace EntraProvisioningExporter.TestSupport;

/// <summary>Reads samples back out of text-format output, for assertions.</summary>
public static partial class MetricsText
{
    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>.*)\\})? (?<value>\\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("(?<k>[a-zA-Z_][a-zA-Z0-9_]*)=\"(?<v>(?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Label();

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static IReadOnlyList<Sample> Parse(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l =>
        {
            var m = SampleLine().Match(l);
            if (!m.Success) throw new FormatException($"Not a sample line: {l}");
            var labels = Label().Matches(m.Groups["labels"].Value)
                .ToDictionary(x => x.Groups["k"].Value, x => Unescape(x.Groups["v"].Value));
            var v = m.Groups["value"].Value;
            var value = v switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN,
                _ => double.Parse(v, CultureInfo.InvariantCulture) };
            return new Sample(m.Groups["name"].Value, labels, value);
        }).ToList();

    /// <summary>A label value as the text format escapes it (\\, \", \n), read back.</summary>
    public static string Unescape(string escaped)
    {
        if (!escaped.Contains('\\', StringComparison.Ordinal)) return escaped;
        var sb = new System.Text.StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '\\' && i + 1 < escaped.Length)
            {
                i++;
                sb.Append(escaped[i] == 'n' ? '\n' : escaped[i]);
            }
            else
            {
                sb.Append(escaped[i]);
            }
        }
        return sb.ToString();
    }

    /// <summary>A family's HELP text as served.</summary>
    public static string? Help(string text, string family) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith($"# HELP {family} ", StringComparison.Ordinal))?[($"# HELP {family} ").Length..];

    public static IEnumerable<Sample> Named(this IEnumerable<Sample> samples, string name) => samples.Where(s => s.Name == name);

    public static IReadOnlySet<string> FamilyNames(string text) =>
        text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToHashSet();
}
