namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// The metric families each alert of the shipped rules file (charts/entra-provisioning-exporter/files/prometheus/alerts.yaml,
/// which docker/prometheus/rules links to) reads, directly or through its recording rules. A test derives the same
/// table from the rules file's PromQL and fails when they disagree, and checks docs/alerts.md against it; the
/// exporter uses it to warn at start when Exporter:Metrics leaves out a family an alert needs.
/// </summary>
public static class ShippedAlerts
{
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> FamiliesByAlert { get; } =
        new Dictionary<string, IReadOnlyList<string>>(System.StringComparer.Ordinal)
    {
        ["EntraProvisioningFailureAnomaly"] = ["entra_provisioning_events_total", "entra_provisioning_job_info"],
        ["EntraProvisioningDeleteAnomaly"] = ["entra_provisioning_events_total", "entra_provisioning_job_info"],
        ["EntraProvisioningJobQuarantined"] = ["entra_provisioning_job_info", "entra_provisioning_job_quarantine_reason"],
        ["EntraProvisioningJobNearQuarantine"] =
        [
            "entra_provisioning_job_escrow_threshold_proximity",
            "entra_provisioning_job_info",
            "entra_provisioning_job_quarantined",
        ],
        ["EntraProvisioningJobDisableImminent"] =
        [
            "entra_provisioning_job_info",
            "entra_provisioning_job_quarantine_disable_timestamp_seconds",
        ],
        ["EntraProvisioningHighFailureRate"] =
        [
            "entra_provisioning_job_info",
            "entra_provisioning_window_events",
            "entra_provisioning_window_failure_ratio",
        ],
        ["EntraProvisioningFailureSpike"] = ["entra_provisioning_events_total", "entra_provisioning_job_info"],
        ["EntraProvisioningDeleteSpike"] = ["entra_provisioning_events_total", "entra_provisioning_job_info"],
        ["EntraProvisioningNoActivity"] =
        [
            "entra_provisioning_job_info",
            "entra_provisioning_job_last_activity_age_seconds",
            "entra_provisioning_job_schedule_interval_seconds",
            "entra_provisioning_job_schedule_state",
            "entra_provisioning_job_status",
            "entra_provisioning_last_event_age_seconds",
        ],
        ["EntraProvisioningJobFailing"] =
        [
            "entra_provisioning_job_info",
            "entra_provisioning_job_quarantined",
            "entra_provisioning_job_successive_complete_failures",
        ],
        ["EntraProvisioningJobRunErrors"] =
        [
            "entra_provisioning_job_info",
            "entra_provisioning_job_last_execution_error",
            "entra_provisioning_job_last_execution_state",
            "entra_provisioning_job_quarantined",
        ],
        ["EntraProvisioningDeleteThresholdNear"] =
        [
            "entra_provisioning_job_delete_threshold_proximity",
            "entra_provisioning_job_info",
            "entra_provisioning_job_quarantined",
        ],
        ["EntraProvisioningQuarantineForecast"] =
        [
            "entra_provisioning_job_escrow_threshold_proximity",
            "entra_provisioning_job_info",
            "entra_provisioning_job_quarantined",
        ],
        ["EntraProvisioningInitialCycleStalled"] =
        [
            "entra_provisioning_job_info",
            "entra_provisioning_job_progress_completed_units",
            "entra_provisioning_job_status",
            "entra_provisioning_job_steady_state_reached",
        ],
        ["EntraExporterSourceDown"] = ["entra_exporter_source_up"],
        ["EntraExporterGraphThrottleHeadroomLow"] = ["entra_exporter_graph_throttle_limit_ratio"],
        ["EntraExporterDataStale"] = ["entra_exporter_poll_interval_seconds", "entra_exporter_source_last_success_timestamp_seconds"],
        ["EntraExporterShardMissing"] = ["entra_exporter_shard_index", "entra_exporter_shards"],
        ["EntraExporterConfigReloadFailed"] = ["entra_exporter_config_last_reload_successful"],
        ["EntraExporterDown"] = [],
    };

    /// <summary>Each shipped alert that <paramref name="selection"/> silences, with the families it needs and does not get.</summary>
    public static IReadOnlyList<(string Alert, IReadOnlyList<string> Missing)> SilencedBy(MetricSelection selection) =>
        [.. FamiliesByAlert
            .Select(kv => (kv.Key, (IReadOnlyList<string>)[.. kv.Value.Where(f => !selection.Includes(f))]))
            .Where(a => a.Item2.Count > 0)];
}
