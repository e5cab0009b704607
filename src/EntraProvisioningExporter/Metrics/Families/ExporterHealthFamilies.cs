using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Graph;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>The exporter's own state: build, configuration and shard, each source's health and freshness, jobs found per tenant.</summary>
public static class ExporterHealthFamilies
{
    /// <summary>The labels of a per-source series.</summary>
    internal static readonly IReadOnlyList<string> TenantSource = ["tenant_id", "source"];

    /// <summary>The most kinds of 429 a source can count: each part's documented values, other and none.</summary>
    private static readonly int ThrottleKinds = (GraphThrottleMeter.Scopes.Count + 2) * (GraphThrottleMeter.Limits.Count + 2)
        * (GraphThrottleMeter.Reasons.Count + 2);

    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return new ExporterFamily("entra_exporter_build_info", "Exporter build information (value 1).", ["version"],
            (e, w) => w.Add(1, e.Version));
        yield return new ExporterFamily("entra_exporter_poll_interval_seconds",
            "How often every source is polled, in seconds (Exporter:PollInterval): alert rules scale staleness by it.", [],
                (e, w) => w.Add(e.PollInterval.TotalSeconds));
        yield return new ExporterFamily("entra_exporter_shard_index",
            "This replica's shard (Exporter:Sharding:Index, 0 when not sharded).", [], (e, w) => w.Add(e.ShardIndex));
        yield return new ExporterFamily("entra_exporter_shards",
            "How many replicas share the tenants (Exporter:Sharding:Count, 1 when not sharded).", [], (e, w) => w.Add(e.ShardCount));
        yield return new ExporterFamily("entra_exporter_configured_tenants",
            "Tenants in the configuration, across all shards.", [], (e, w) => w.Add(e.ConfiguredTenants));
        yield return new ExporterFamily("entra_exporter_polled_tenants",
            "Tenants this replica polls (its shard's share of the configured tenants).", [], (e, w) => w.Add(e.PolledTenants));
        yield return new ExporterFamily("entra_exporter_config_last_reload_successful",
            "Whether the last configuration reload succeeded (1) or was refused and the previous configuration kept (0); 1 at start.", [],
            (e, w) => w.Add(e.LastReloadSuccessful ? 1 : 0));
        yield return new ExporterFamily("entra_exporter_config_last_reload_success_timestamp_seconds",
            "When the configuration was last loaded successfully (at start, or by a reload), in Unix seconds.", [],
            (e, w) => w.Add(e.LastReloadSuccess.ToUnixTimeMilliseconds() / 1000.0));
        yield return new TenantFamily("entra_exporter_source_up", MetricKind.Gauge,
            "Whether the source's last poll cycle succeeded completely (1) or not (0); see entra_exporter_poll_errors_total for why.",
            TenantSource, SeriesBound.AtMost(10_000), TenantInputs.Health, (tenant, w) =>
            {
                foreach (var h in tenant.Sources) w.Add(h.Up ? 1 : 0, h.TenantId, h.Source);
            });
        yield return new TenantFamily("entra_exporter_source_last_success_timestamp_seconds", MetricKind.Gauge,
            "When the source last completed a poll cycle successfully, in Unix seconds: its data is as fresh as this.",
            TenantSource, SeriesBound.AtMost(10_000), TenantInputs.Health, (tenant, w) =>
            {
                foreach (var h in tenant.Sources)
                    if (JobFamily.Unix(h.LastSuccess) is { } at) w.Add(at, h.TenantId, h.Source);
            });
        yield return new TenantFamily("entra_exporter_graph_throttle_limit_ratio", MetricKind.Gauge,
            "The highest share of the app's Graph throttling limit a response of the source's last cycle reported "
            + "(x-ms-throttle-limit-percentage, sent from 0.8; 0 when none carried it). Above 1 the source polls at half the rate.",
            TenantSource, SeriesBound.AtMost(10_000), TenantInputs.Health, (tenant, w) =>
            {
                foreach (var h in tenant.Sources)
                    if (h.Throttle is { } t) w.Add(t.LimitRatio, h.TenantId, h.Source);
            });
        yield return new TenantFamily("entra_exporter_graph_resource_units", MetricKind.Gauge,
            "Graph resource units the source's last cycle spent (x-ms-resource-unit of its responses, summed).",
            TenantSource, SeriesBound.AtMost(10_000), TenantInputs.Health, (tenant, w) =>
            {
                foreach (var h in tenant.Sources)
                    if (h.Throttle is { } t) w.Add(t.ResourceUnits, h.TenantId, h.Source);
            });
        yield return new TenantFamily("entra_exporter_graph_throttled_requests_total", MetricKind.Counter,
            "Graph responses 429 by what they said of themselves: x-ms-throttle-scope's scope and limit, x-ms-throttle-information "
            + "(each a documented value, other, or none when absent). Every retry counts.",
            [.. TenantSource, "scope", "limit", "reason"], SeriesBound.AtMost(ThrottleKinds * 10_000), TenantInputs.Health, (tenant, w) =>
            {
                foreach (var h in tenant.Sources)
                    foreach (var (kind, count) in h.Throttle?.Throttled ?? new Dictionary<GraphThrottleKind, long>())
                        w.Add(count, h.TenantId, h.Source, kind.Scope, kind.Limit, kind.Reason);
            });
        yield return new TenantFamily("entra_exporter_discovered_jobs", MetricKind.Gauge,
            "Provisioning jobs currently known in the tenant.",
            ["tenant_id"], SeriesBound.AtMost(10_000), TenantInputs.JobSet, (tenant, w) =>
            {
                if (tenant.Jobs is { } jobs) w.Add(jobs.Jobs.Count, jobs.TenantId);
            });
    }
}
