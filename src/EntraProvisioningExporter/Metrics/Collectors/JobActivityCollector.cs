namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>When the job last did something useful, and how long ago it last did anything.</summary>
public sealed class JobActivityCollector : IMetricCollector
{
    public JobActivityCollector(JobInstruments i)
    {
        i.Gauge("entra_provisioning_job_last_successful_execution_timestamp_seconds", "When the last successful execution finished, in Unix seconds.",
            job => JobInstruments.Unix(job.LastSuccessfulExecution));
        i.Gauge("entra_provisioning_job_last_successful_export_timestamp_seconds", "When the last successful execution that exported changes finished, in Unix seconds.",
            job => JobInstruments.Unix(job.LastSuccessfulExport));
        i.Gauge("entra_provisioning_job_steady_state_last_achieved_timestamp_seconds", "When the job last reached steady state, in Unix seconds.",
            job => JobInstruments.Unix(job.SteadyStateLastAchieved));
        i.GaugeAt("entra_provisioning_job_last_activity_age_seconds", "Seconds since the last execution ended (or began, if it is running), computed at scrape time.",
            (job, now) => job.LastExecution is { } e && (e.IsRunning ? e.TimeBegan : e.TimeEnded ?? e.TimeBegan) is { } at
                ? Math.Max(0, (now - at).TotalSeconds)
                : null);
        i.Gauge("entra_provisioning_job_successive_complete_failures", "Executions in a row that failed completely.",
            job => job.SuccessiveCompleteFailures);
        i.Gauge("entra_provisioning_job_escrows_pruned", "Whether escrows were pruned (dropped) during the job's last execution (1) or not (0).",
            job => JobInstruments.Flag(job.EscrowsPruned));
        i.Labelled("entra_provisioning_job_synchronized_entries", "Entries in sync, by object type (Graph's synchronizedEntryCountByType).",
            "object_type", 4, job => job.SynchronizedEntries.Select(kv => (kv.Key, (double)kv.Value)));
    }
}
