using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>How far each log source has read, and whether its request budget keeps up.</summary>
public static class LogSourceFamilies
{
    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return new TenantFamily("entra_exporter_log_cursor_timestamp_seconds", MetricKind.Gauge,
            "The log source's cursor, in Unix seconds: events up to here are counted, newer ones not yet.",
            ExporterHealthFamilies.TenantSource, SeriesBound.AtMost(10_000), TenantInputs.Logs, (tenant, w) =>
            {
                if (tenant.Logs is { } logs) w.Add(JobFamily.Unix(logs.Cursor)!.Value, logs.TenantId, logs.Source);
            });
        yield return new TenantFamily("entra_exporter_log_cursor_lag_seconds", MetricKind.Gauge,
            "Seconds between now and the log source's cursor, computed at scrape time: events newer than this are not counted yet.",
            ExporterHealthFamilies.TenantSource, SeriesBound.AtMost(10_000), TenantInputs.Logs, (tenant, w) =>
            {
                if (tenant.Logs is { } logs) w.Add(JobFamily.Unix(logs.Cursor)!.Value, logs.TenantId, logs.Source);
            }, isAge: true);
        yield return new TenantFamily("entra_exporter_log_budget_exhausted_total", MetricKind.Counter,
            "Cycles in which the Graph provisioning-log source stopped reading before catching up, because its request budget or the "
                + "cycle's time ran out: it is falling behind (see the cursor lag).",
            ExporterHealthFamilies.TenantSource, SeriesBound.AtMost(10_000), TenantInputs.Logs, (tenant, w) =>
            {
                if (tenant.Logs is { Source: SourceNames.GraphProvisioningLogs } logs) w.Add(logs.BudgetExhaustions, logs.TenantId,
                    logs.Source);
            });
        yield return new TenantFamily("entra_exporter_custom_query_dropped_series", MetricKind.Gauge,
            "Rows of a custom query's last result that were not exported (over MaxSeries, duplicate labels, or no value).",
            ["tenant_id", "query"], SeriesBound.AtMost(10_000), TenantInputs.Logs, (tenant, w) =>
            {
                if (tenant.Logs is not { } logs) return;
                foreach (var (query, result) in logs.Custom) w.Add(result.DroppedSeries, logs.TenantId, query);
            });
    }
}
