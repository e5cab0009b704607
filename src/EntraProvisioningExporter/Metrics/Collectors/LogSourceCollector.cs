using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>How far behind each log source is, and whether its request budget keeps up.</summary>
public sealed class LogSourceCollector : IMetricCollector
{
    public LogSourceCollector(ExporterMeter meter, LogSnapshotStore store, TimeProvider time)
    {
        var m = meter.Live;
        meter.PlanSeries("entra_exporter_log_cursor_lag_seconds", 0, 10_000);
        m.CreateObservableGauge("entra_exporter_log_cursor_lag_seconds",
            () => store.All.Select(s => new Measurement<double>(Math.Max(0, (time.GetUtcNow() - s.Cursor).TotalSeconds), Tags(s))),
            unit: null, description: "Seconds between now and the log source's cursor: events newer than this are not counted yet.");
        meter.PlanSeries("entra_exporter_log_budget_exhausted_total", 0, 10_000);
        m.CreateObservableCounter("entra_exporter_log_budget_exhausted_total",
            () => store.All.Where(s => s.Source == Sources.SourceNames.GraphProvisioningLogs).Select(s => new Measurement<long>(s.BudgetExhaustions, Tags(s))),
            unit: null, description: "Cycles in which the Graph provisioning-log source stopped reading before catching up, because its request budget or the cycle's time ran out: it is falling behind (see the cursor lag).");
        meter.PlanSeries("entra_exporter_custom_query_dropped_series", 0, 10_000);
        m.CreateObservableGauge("entra_exporter_custom_query_dropped_series",
            () => store.All.SelectMany(s => s.Custom.Select(c => new Measurement<long>(c.Value.DroppedSeries,
                new KeyValuePair<string, object?>("tenant_id", s.TenantId), new KeyValuePair<string, object?>("query", c.Key)))),
            unit: null, description: "Rows of a custom query's last result that were not exported (over MaxSeries, duplicate labels, or no value).");
    }

    private static KeyValuePair<string, object?>[] Tags(TenantLogSnapshot s) => [new("tenant_id", s.TenantId), new("source", s.Source)];
}
