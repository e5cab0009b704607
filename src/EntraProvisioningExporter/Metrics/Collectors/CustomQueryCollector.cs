using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>One gauge per declared custom query name (declared in configuration, validated at start).</summary>
public sealed class CustomQueryCollector : IMetricCollector
{
    public CustomQueryCollector(ExporterMeter meter, LogSnapshotStore store)
    {
        var declared = meter.Options.Tenants.SelectMany(t => t.Logs.CustomQueries).GroupBy(q => q.Name!, StringComparer.Ordinal);
        foreach (var group in declared)
        {
            var name = group.Key;
            var first = group.First();
            meter.PlanSeries(name, 0, group.Sum(q => q.MaxSeries) * Math.Max(1, meter.Options.Tenants.Count));
            meter.Meter.CreateObservableGauge(name,
                () => store.All.Where(s => s.Custom.ContainsKey(name)).SelectMany(s => s.Custom[name].Samples)
                    .Select(x => new Measurement<double>(x.Value, x.Labels.Select(l => new KeyValuePair<string, object?>(l.Key, l.Value)).ToArray())),
                unit: null, description: string.IsNullOrWhiteSpace(first.Help) ? $"Custom Log Analytics query {name}." : first.Help);
        }
    }
}
