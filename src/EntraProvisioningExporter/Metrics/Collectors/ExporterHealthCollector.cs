using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>The exporter's own state: build, each source's health and freshness, jobs found per tenant.</summary>
public sealed class ExporterHealthCollector : IMetricCollector
{
    public ExporterHealthCollector(ExporterMeter meter, SourceHealthRegistry health, JobSnapshotStore store, TenantSharding sharding)
    {
        var m = meter.Live;
        m.CreateObservableGauge("entra_exporter_build_info", () => new Measurement<long>(1, new KeyValuePair<string, object?>("version", ExporterMeter.Version)),
            unit: null, description: "Exporter build information (value 1).");
        m.CreateObservableGauge("entra_exporter_poll_interval_seconds", () => new Measurement<double>(meter.Options.PollInterval.TotalSeconds),
            unit: null, description: "How often every source is polled, in seconds (Exporter:PollInterval): alert rules scale staleness by it.");
        m.CreateObservableGauge("entra_exporter_shard_index", () => new Measurement<long>(sharding.Index),
            unit: null, description: "This replica's shard (Exporter:Sharding:Index, 0 when not sharded).");
        m.CreateObservableGauge("entra_exporter_shards", () => new Measurement<long>(sharding.Count),
            unit: null, description: "How many replicas share the tenants (Exporter:Sharding:Count, 1 when not sharded).");
        m.CreateObservableGauge("entra_exporter_configured_tenants", () => new Measurement<long>(sharding.Configured),
            unit: null, description: "Tenants in the configuration, across all shards.");
        m.CreateObservableGauge("entra_exporter_polled_tenants", () => new Measurement<long>(sharding.Assigned.Count),
            unit: null, description: "Tenants this replica polls (its shard's share of the configured tenants).");
        meter.PlanSeries("entra_exporter_source_up", 0, 10_000);
        m.CreateObservableGauge("entra_exporter_source_up", () => health.All.Select(h => new Measurement<long>(h.Up ? 1 : 0, Tags(h))),
            unit: null, description: "Whether the source's last poll cycle succeeded completely (1) or not (0); see entra_exporter_poll_errors_total for why.");
        meter.PlanSeries("entra_exporter_source_last_success_timestamp_seconds", 0, 10_000);
        m.CreateObservableGauge("entra_exporter_source_last_success_timestamp_seconds",
            () => health.All.Where(h => h.LastSuccess is not null).Select(h => new Measurement<double>(h.LastSuccess!.Value.ToUnixTimeMilliseconds() / 1000.0, Tags(h))),
            unit: null, description: "When the source last completed a poll cycle successfully, in Unix seconds: its data is as fresh as this.");
        meter.PlanSeries("entra_exporter_discovered_jobs", 0, 10_000);
        m.CreateObservableGauge("entra_exporter_discovered_jobs",
            () => store.All.Select(s => new Measurement<long>(s.Jobs.Count, new KeyValuePair<string, object?>("tenant_id", s.TenantId))),
            unit: null, description: "Provisioning jobs currently known in the tenant.");
    }

    private static KeyValuePair<string, object?>[] Tags(SourceHealth h) => [new("tenant_id", h.TenantId), new("source", h.Source)];
}
