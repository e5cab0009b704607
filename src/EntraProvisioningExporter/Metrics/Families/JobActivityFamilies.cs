using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>
/// When each job last did something: successes, steady state, its last activity (as a timestamp and an age), failures in a row.
/// </summary>
public static class JobActivityFamilies
{
    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return JobFamily.Timestamp("entra_provisioning_job_last_successful_execution_timestamp_seconds",
            MetricHelp.FromGraph("When the last successful execution finished, in Unix seconds."), job => job.LastSuccessfulExecution);
        yield return JobFamily.Timestamp("entra_provisioning_job_last_successful_export_timestamp_seconds",
            MetricHelp.FromGraph("When the last successful execution that exported changes finished, in Unix seconds."),
                job => job.LastSuccessfulExport);
        yield return JobFamily.Timestamp("entra_provisioning_job_steady_state_last_achieved_timestamp_seconds",
            MetricHelp.FromGraph("When the job last reached steady state, in Unix seconds."), job => job.SteadyStateLastAchieved);
        yield return JobFamily.Timestamp("entra_provisioning_job_last_activity_timestamp_seconds",
            MetricHelp.FromGraph("When the job last did something: the end of its last execution, or its start if "
                + "it is running, in Unix seconds."), LastActivity);
        yield return JobFamily.Age("entra_provisioning_job_last_activity_age_seconds",
            MetricHelp.AgeFromGraph("Seconds since the last execution ended (or began, if it is running)."), LastActivity);
        yield return JobFamily.Gauge("entra_provisioning_job_successive_complete_failures",
            MetricHelp.FromGraph("Executions in a row that failed completely."), job => job.SuccessiveCompleteFailures);
        yield return JobFamily.Gauge("entra_provisioning_job_escrows_pruned",
            MetricHelp.FromGraph("Whether escrows were pruned (dropped) during the job's last execution (1) or not (0)."),
                job => JobFamily.Flag(job.EscrowsPruned));
        yield return JobFamily.Labelled("entra_provisioning_job_synchronized_entries",
            MetricHelp.FromGraph("Entries in sync, by object type (Graph's synchronizedEntryCountByType)."),
            "object_type", 4, job => job.SynchronizedEntries.Select(kv => (kv.Key, (double)kv.Value)));
    }

    /// <summary>The end of the last execution, or its start while it runs.</summary>
    public static DateTimeOffset? LastActivity(JobState job) =>
        job.LastExecution is { } e ? (e.IsRunning ? e.TimeBegan : e.TimeEnded ?? e.TimeBegan) : null;
}
