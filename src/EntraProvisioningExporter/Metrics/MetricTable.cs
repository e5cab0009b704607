using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics.Families;

namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// Every metric family the exporter exposes, in exposition order: the one table that /metrics, OTLP, the
/// dependency-injection wiring, the tests and the metric table check of docs/metrics.md all read. Built once from the
/// options (help texts quote the poll interval and thresholds; custom queries add their own families).
/// </summary>
public sealed class MetricTable
{
    private MetricTable(IReadOnlyList<MetricFamily> families) => Families = families;

    public IReadOnlyList<MetricFamily> Families { get; }

    public static MetricTable Build(ExporterOptions options)
    {
        IEnumerable<Func<ExporterOptions, IEnumerable<MetricFamily>>> groups =
        [
            JobStatusFamilies.All,
            QuarantineFamilies.All,
            LastExecutionFamilies.All,
            JobActivityFamilies.All,
            InitialCycleFamilies.All,
            EscrowProximityFamilies.All,
            DeleteThresholdFamilies.All,
            LogEventFamilies.All,
            LogWindowFamilies.All,
            CustomQueryFamilies.All,
            ExporterHealthFamilies.All,
            LogSourceFamilies.All,
            SelfMetricFamilies.All,
        ];
        var families = groups.SelectMany(g => g(options)).ToList();
        var duplicate = families.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Metric family {duplicate.Key} is defined twice.");
        return new MetricTable(families);
    }

    public IEnumerable<TenantFamily> TenantFamilies => Families.OfType<TenantFamily>();
}
