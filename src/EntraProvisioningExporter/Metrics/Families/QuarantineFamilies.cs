using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>Quarantine state and its dates; the detail series exist only while a job is quarantined.</summary>
public static class QuarantineFamilies
{
    /// <summary>The families, with the disable date on the thresholds in force when a snapshot is published.</summary>
    public static IEnumerable<MetricFamily> All(Func<QuarantineOptions> thresholds)
    {
        yield return JobFamily.Gauge("entra_provisioning_job_quarantined",
            MetricHelp.FromGraph("Whether the job is in quarantine (1) or not (0)."),
            job => job.IsQuarantined ? 1 : 0);
        yield return JobFamily.Labelled("entra_provisioning_job_quarantine_reason",
            MetricHelp.FromGraph("Why the job is quarantined (value 1 while quarantined; the reason as Graph sends it)."),
            "reason", 1, job => job.IsQuarantined ? [(job.Quarantine?.Reason ?? KnownValues.Unknown, 1)] : []);
        yield return JobFamily.Error("entra_provisioning_job_quarantine_error",
            MetricHelp.FromGraph("The quarantine's error (value 1 while quarantined with an error code): the code as Graph sends it, "
                + "and whether Microsoft says the tenant can fix it (tenant_actionable true, false or unknown)."),
            job => (Q(job)?.ErrorCode, Q(job)?.TenantActionable));
        yield return JobFamily.Timestamp("entra_provisioning_job_quarantine_start_timestamp_seconds",
            MetricHelp.FromGraph("When the current quarantine began, in Unix seconds."), job => Q(job)?.CurrentBegan);
        yield return JobFamily.Timestamp("entra_provisioning_job_quarantine_series_start_timestamp_seconds",
            MetricHelp.FromGraph("When the current series of quarantines began, in Unix seconds."), job => Q(job)?.SeriesBegan);
        yield return JobFamily.Gauge("entra_provisioning_job_quarantine_series_occurrences",
            MetricHelp.FromGraph("How many times the quarantine was re-encountered in this series (Graph's seriesCount)."),
                job => Q(job)?.SeriesCount);
        yield return JobFamily.Timestamp("entra_provisioning_job_quarantine_next_attempt_timestamp_seconds",
            MetricHelp.FromGraph("When the service next retries the quarantined job, in Unix seconds."), job => Q(job)?.NextAttempt);
        yield return JobFamily.Timestamp("entra_provisioning_job_quarantine_disable_timestamp_seconds",
            MetricHelp.FromGraph("When Microsoft disables the job if it stays quarantined: series start + Exporter:Quarantine:DisableAfter "
                + "(28 days by default), in Unix seconds."),
            job => DisableAt(job, thresholds()));
    }

    /// <summary>
    /// When Microsoft disables the job if it stays quarantined: the series start + Quarantine:DisableAfter; null when not quarantined.
    /// </summary>
    public static DateTimeOffset? DisableAt(JobState job, QuarantineOptions thresholds) => Q(job)?.SeriesBegan + thresholds.DisableAfter;

    private static QuarantineState? Q(JobState job) => job.IsQuarantined ? job.Quarantine : null;
}
