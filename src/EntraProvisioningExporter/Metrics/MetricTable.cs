using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics.Families;

namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// Every metric family the exporter exposes, in exposition order: the one table that /metrics, OTLP, the
/// dependency-injection wiring, the tests and the metric table check of docs/metrics.md all read. Built once from the
/// start options (custom queries add their own families; Exporter:Metrics chooses among them); the quarantine
/// thresholds are read from the configuration in force each time a snapshot is published.
/// </summary>
public sealed class MetricTable
{
    private MetricTable(IReadOnlyList<MetricFamily> families, MetricSelection selection, IReadOnlyList<string> excluded)
    {
        Families = families;
        Selection = selection;
        Excluded = excluded;
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
            [.. all.Families.Where(f => !selection.Includes(f.Name)).Select(f => f.Name)]);
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
        return new MetricTable(families, MetricSelection.All, []);
    }

    public IEnumerable<TenantFamily> TenantFamilies => Families.OfType<TenantFamily>();
}
