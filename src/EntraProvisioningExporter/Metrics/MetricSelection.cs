using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// Which metric families the operator keeps (Exporter:Metrics:Include or Exporter:Metrics:Exclude, never both, as
/// kube-state-metrics' allowlist and denylist): glob patterns over family names, where * is any run of characters and
/// ? one character, matched against the whole name. A family that is not selected is not built: no series, no OTLP
/// instrument, no reader called, no custom query run.
/// </summary>
public sealed class MetricSelection
{
    private readonly string[] include;
    private readonly string[] exclude;

    private MetricSelection(IEnumerable<string> include, IEnumerable<string> exclude)
    {
        this.include = [.. include.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim())];
        this.exclude = [.. exclude.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim())];
    }

    /// <summary>Every family.</summary>
    public static MetricSelection All { get; } = new([], []);

    public static MetricSelection Of(ExporterOptions options) => new(options.Metrics.Include, options.Metrics.Exclude);

    /// <summary>Whether the family named <paramref name="name"/> is kept.</summary>
    public bool Includes(string name) =>
        include.Length > 0 ? include.Any(p => Matches(p, name)) : !exclude.Any(p => Matches(p, name));

    /// <summary>
    /// Whether <paramref name="pattern"/> (* any run, ? one character) matches the whole of <paramref name="name"/>; case-sensitive, as
    /// metric names are.
    /// </summary>
    public static bool Matches(string pattern, string name)
    {
        // Iterative wildcard matching with one backtrack point: linear in practice, no regular expression to compile.
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n]))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>
    /// The problems with the lists, each with its key: both lists set, a pattern with characters no family name has, or
    /// a pattern that matches none of <paramref name="names"/> (then the closest names are suggested).
    /// </summary>
    public static void Validate(MetricsOptions options, IReadOnlyCollection<string> names, Action<string, string> error)
    {
        const string Key = $"{ExporterOptions.SectionName}:Metrics";
        if (options.Include.Count > 0 && options.Exclude.Count > 0)
            error(Key, "set Include or Exclude, not both (Include keeps only the families it matches; Exclude drops those it matches).");
        foreach (var (list, which) in new[] { (options.Include, "Include"), (options.Exclude, "Exclude") })
        {
            for (var i = 0; i < list.Count; i++)
            {
                var pattern = list[i]?.Trim() ?? "";
                var key = $"{Key}:{which}:{i}";
                if (pattern.Length == 0)
                    error(key, "is empty; give a family name or a glob pattern such as entra_provisioning_job_last_execution_*.");
                else if (pattern.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' or '*' or '?')))
                    error(key, $"'{pattern}' is not a family name or a glob pattern (letters, digits, _, :, and the wildcards * and ?).");
                else if (!names.Any(n => Matches(pattern, n)))
                    error(key, $"'{pattern}' matches no metric family; closest: {string.Join(", ", Closest(pattern, names, 3))}.");
            }
        }
        // An exporter that serves no provisioning family would be scraped as up while it says nothing of any job.
        var selection = new MetricSelection(options.Include, options.Exclude);
        if (!(options.Include.Count > 0 && options.Exclude.Count > 0)
            && !names.Any(n => n.StartsWith(ProvisioningPrefix, StringComparison.Ordinal) && selection.Includes(n)))
            error(Key, $"leaves out every {ProvisioningPrefix}* family: the exporter would serve no "
                + "provisioning data while its target is up.");
    }

    private const string ProvisioningPrefix = "entra_provisioning_";

    /// <summary>
    /// The <paramref name="count"/> names nearest to the pattern (edit distance to its literal characters), nearest first.
    /// </summary>
    public static IReadOnlyList<string> Closest(string pattern, IEnumerable<string> names, int count)
    {
        var literal = pattern.Replace("*", "", StringComparison.Ordinal).Replace("?", "", StringComparison.Ordinal);
        return [.. names.OrderBy(n => EditDistance(literal, n)).ThenBy(n => n, StringComparer.Ordinal).Take(count)];
    }

    /// <summary>Levenshtein distance (insertions, deletions and substitutions each cost 1).</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
