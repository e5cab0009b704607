using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Metrics.Families;

namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// Which log aggregates a kept family reads (Exporter:Metrics), named by the families' own definitions: an aggregate
/// that no kept family reads is not queried, so a left-out family costs no Log Analytics query or Graph read either.
/// </summary>
public sealed record LogAggregatesWanted(bool Events, bool Windows, bool Cycles)
{
    public bool Any => Events || Windows || Cycles;

    public static LogAggregatesWanted Of(ExporterOptions options)
    {
        var selection = MetricSelection.Of(options);
        bool Kept(IEnumerable<MetricFamily> families) => families.Any(f => selection.Includes(f.Name));
        return new(
            Kept(LogEventFamilies.All(options).Concat(LogEventDetailFamilies.All(options))),
            Kept(LogWindowFamilies.All(options)),
            Kept(DeleteThresholdFamilies.All(options).Where(f => f is TenantFamily t && (t.Inputs & TenantInputs.Logs) != 0)));
    }
}
