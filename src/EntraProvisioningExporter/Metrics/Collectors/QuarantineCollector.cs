using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>Quarantine state and its dates; the detail series exist only while a job is quarantined.</summary>
public sealed class QuarantineCollector : IMetricCollector
{
    public QuarantineCollector(JobInstruments i)
    {
        var disableAfter = i.Meter.Options.Quarantine.DisableAfter;
        i.Gauge("entra_provisioning_job_quarantined", "Whether the job is in quarantine (1) or not (0).",
            job => job.IsQuarantined ? 1 : 0);
        i.Labelled("entra_provisioning_job_quarantine_reason", "Why the job is quarantined (value 1 while quarantined; the reason as Graph sends it).",
            "reason", 1, job => job.IsQuarantined ? [(job.Quarantine?.Reason ?? KnownValues.Unknown, 1)] : []);
        i.Gauge("entra_provisioning_job_quarantine_start_timestamp_seconds", "When the current quarantine began, in Unix seconds.",
            job => Q(job)?.CurrentBegan is { } t ? JobInstruments.Unix(t) : null);
        i.Gauge("entra_provisioning_job_quarantine_series_start_timestamp_seconds", "When the current series of quarantines began, in Unix seconds.",
            job => Q(job)?.SeriesBegan is { } t ? JobInstruments.Unix(t) : null);
        i.Gauge("entra_provisioning_job_quarantine_series_occurrences", "How many times the quarantine was re-encountered in this series (Graph's seriesCount).",
            job => Q(job)?.SeriesCount);
        i.Gauge("entra_provisioning_job_quarantine_next_attempt_timestamp_seconds", "When the service next retries the quarantined job, in Unix seconds.",
            job => Q(job)?.NextAttempt is { } t ? JobInstruments.Unix(t) : null);
        i.Gauge("entra_provisioning_job_quarantine_disable_timestamp_seconds", $"When Microsoft disables the job if it stays quarantined: series start + {disableAfter.TotalDays:0.##} days, in Unix seconds.",
            job => Q(job)?.SeriesBegan is { } t ? JobInstruments.Unix(t + disableAfter) : null);
    }

    private static QuarantineState? Q(JobState job) => job.IsQuarantined ? job.Quarantine : null;
}
