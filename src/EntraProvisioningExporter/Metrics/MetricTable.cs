using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics.Families;

namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// Every metric family the exporter exposes, in exposition order: the one table that /metrics, OTLP, the
/// dependency-injection wiring, the tests and the metric table check of docs/metrics.md all read. Built from the
/// options in force (custom queries add their own families; Exporter:Metrics chooses among them), again at a reload that
/// changes its layout (<see cref="SameLayout"/>); the quarantine thresholds are read from the configuration in force each time a
/// snapshot is published.
/// </summary>
public sealed class MetricTable
{
    private readonly int maxJobs;
    private string? layout;
    private string? layoutWithLimits;

    private MetricTable(IReadOnlyList<MetricFamily> families, MetricSelection selection, IReadOnlyList<string> excluded, int maxJobs)
    {
        Families = families;
        Selection = selection;
        Excluded = excluded;
        this.maxJobs = maxJobs;
    }

    /// <summary>The families exposed: those Exporter:Metrics keeps.</summary>
    public IReadOnlyList<MetricFamily> Families { get; }

    /// <summary>Exporter:Metrics, which also decides the process and runtime families.</summary>
    public MetricSelection Selection { get; }

    /// <summary>The names of the families Exporter:Metrics leaves out, in table order.</summary>
    public IReadOnlyList<string> Excluded { get; }

    /// <summary>
    /// The families Exporter:Metrics keeps (the table the exporter runs with), reading the quarantine thresholds from
    /// <paramref name="thresholds"/> (the configuration in force), or from <paramref name="options"/> when it is null.
    /// </summary>
    public static MetricTable Build(ExporterOptions options, Func<QuarantineOptions>? thresholds = null)
    {
        var all = BuildAll(options, thresholds);
        var selection = MetricSelection.Of(options);
        return new MetricTable([.. all.Families.Where(f => selection.Includes(f.Name))], selection,
            [.. all.Families.Where(f => !selection.Includes(f.Name)).Select(f => f.Name)], options.MaxJobs);
    }

    /// <summary>Every family the options define, whatever Exporter:Metrics says (what its patterns are checked against).</summary>
    public static MetricTable BuildAll(ExporterOptions options, Func<QuarantineOptions>? thresholds = null)
    {
        thresholds ??= () => options.Quarantine;
        IEnumerable<Func<ExporterOptions, IEnumerable<MetricFamily>>> groups =
        [
            JobStatusFamilies.All,
            _ => QuarantineFamilies.All(thresholds),
            LastExecutionFamilies.All,
            JobActivityFamilies.All,
            InitialCycleFamilies.All,
            _ => EscrowProximityFamilies.All(thresholds),
            DeleteThresholdFamilies.All,
            LogEventFamilies.All,
            LogEventDetailFamilies.All,
            LogWindowFamilies.All,
            CustomQueryFamilies.All,
            ExporterHealthFamilies.All,
            LogSourceFamilies.All,
            SelfMetricFamilies.All,
        ];
        var families = groups.SelectMany(g => g(options)).ToList();
        var duplicate = families.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Metric family {duplicate.Key} is defined twice.");
        return new MetricTable(families, MetricSelection.All, [], options.MaxJobs);
    }

    public IEnumerable<TenantFamily> TenantFamilies => Families.OfType<TenantFamily>();

    /// <summary>How many families /metrics serves: the table's, and the process and runtime families kept.</summary>
    public int ServedFamilies => Families.Count + Exposition.ProcessMetrics.Names.Count(Selection.Includes);

    /// <summary>
    /// The most series OTLP keeps of a family: the SDK sizes each instrument's storage up front, so that none is dropped up
    /// to Exporter:MaxJobs jobs.
    /// </summary>
    public int SeriesLimit(MetricFamily family) => family.Series.At(maxJobs);

    /// <summary>
    /// Whether expositions built from this table and from <paramref name="other"/> are the same: each family's name, kind,
    /// help, labels and buckets in order, the same process families, and (<paramref name="withSeriesLimits"/>, for OTLP)
    /// the same series limits. A reload that keeps the layout keeps the expositions and their counters.
    /// </summary>
    public bool SameLayout(MetricTable other, bool withSeriesLimits) => withSeriesLimits
        ? (layoutWithLimits ??= Layout(true)) == (other.layoutWithLimits ??= other.Layout(true))
        : (layout ??= Layout(false)) == (other.layout ??= other.Layout(false));

    private string Layout(bool withSeriesLimits) => string.Join('\n', Families
        .Select(f => string.Join('\u0001', f.Name, f.Kind, f.Help, string.Join(',', f.LabelNames), string.Join(',', Buckets(f) ?? []),
            withSeriesLimits ? SeriesLimit(f) : 0))
        .Append(string.Join(',', Exposition.ProcessMetrics.Names.Where(Selection.Includes))));

    private static IReadOnlyList<double>? Buckets(MetricFamily family) => family switch
    {
        TenantHistogramFamily h => h.Buckets,
        RecordedFamily r => r.Buckets,
        _ => null,
    };
}
