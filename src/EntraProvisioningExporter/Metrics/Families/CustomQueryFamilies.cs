using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>
/// One gauge per custom query name declared in the configuration (validated at start), with tenant_id and the query's label columns.
/// </summary>
public static class CustomQueryFamilies
{
    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        foreach (var group in o.Tenants.SelectMany(t => t.Logs.CustomQueries).GroupBy(q => q.Name!, StringComparer.Ordinal))
        {
            var name = group.Key;
            var first = group.First();
            yield return new TenantFamily(name, MetricKind.Gauge,
                string.IsNullOrWhiteSpace(first.Help) ? $"Custom Log Analytics query {name}." : first.Help,
                ["tenant_id", .. first.LabelColumns], SeriesBound.AtMost(group.Sum(q => q.MaxSeries)), TenantInputs.Logs, (tenant, w) =>
                {
                    if (tenant.Logs?.Custom.GetValueOrDefault(name) is not { } result) return;
                    var labels = new string[first.LabelColumns.Count + 1];
                    foreach (var sample in result.Samples)
                    {
                        for (var i = 0; i < labels.Length; i++) labels[i] = sample.Labels[i].Value;
                        w.Add(sample.Value, labels);
                    }
                });
        }
    }
}
