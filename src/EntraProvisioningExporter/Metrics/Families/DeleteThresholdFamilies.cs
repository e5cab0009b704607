using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>
/// The accidental-deletion threshold (a job setting) and each job's current cycle's deprovisioning from the logs:
/// how close the cycle is to Microsoft quarantining the job for TooManyDeletes.
/// </summary>
public static class DeleteThresholdFamilies
{
    public static readonly IReadOnlyList<string> Actions = ["delete", "disable", "stageddelete"];

    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return JobFamily.Gauge("entra_provisioning_job_delete_threshold",
            MetricHelp.FromGraph($"The job's accidental-deletion threshold (setting {JobSettings.DeleteThresholdName}): deletes and "
                + "disables in one cycle past which Microsoft quarantines it for TooManyDeletes. Absent when not set, "
                + "not a whole number, or disabled."),
            job => job.DeleteThreshold);
        yield return Cycles("entra_provisioning_current_cycle_deletions",
            MetricHelp.FromLogs("Deprovisioning in the job's current provisioning cycle (the cycle of its latest event in the trailing "
                + "window), by action: delete and disable (not skipped) count towards the deletion threshold; "
                + "stageddelete are deletes held back."),
            JobFamily.IdentityAnd("action"), Actions.Count, (w, c) =>
            {
                w.Add(c.Deletes, c.Job, "delete");
                w.Add(c.Disables, c.Job, "disable");
                w.Add(c.StagedDeletes, c.Job, "stageddelete");
            });
        yield return Cycles("entra_provisioning_current_cycle_start_timestamp_seconds",
            MetricHelp.FromLogs("When the job's current provisioning cycle logged its first event seen, in Unix seconds."),
            JobFamily.Identity, 1, (w, c) => w.Add(JobFamily.Unix(c.Started)!.Value, c.Job));
        yield return new TenantFamily("entra_provisioning_job_delete_threshold_proximity",
            MetricKind.Gauge,
            MetricHelp.FromLogs("Proximity to the accidental-deletion threshold, 1 = reached: the current cycle's deletes and disables / "
                + "the job's delete threshold; 1 while the job is quarantined for TooManyDeletes. Absent without a threshold "
                + "above 0 or without a log source."),
            JobFamily.Identity, SeriesBound.Jobs(1), TenantInputs.Jobs | TenantInputs.Logs, ReadProximity);
    }

    /// <summary>
    /// The proximity of each job of the tenant; a job without a current cycle (while the logs are read) has deleted nothing: 0.
    /// </summary>
    public static double? Proximity(JobState job, JobCycle? cycle, bool logsRead)
    {
        if (job.IsQuarantined && job.Quarantine?.Reason == KnownValues.TooManyDeletes) return Math.Max(1, Ratio(job, cycle) ?? 0);
        if (job.DeleteThreshold is not > 0 || !logsRead) return null;
        return Ratio(job, cycle) ?? 0;
    }

    private static double? Ratio(JobState job, JobCycle? cycle) =>
        job.DeleteThreshold is { } t && t > 0 && cycle is not null ? (double)cycle.Deprovisions / t : null;

    /// <summary>A tenant's current cycles by job id (the first, should the logs name a job twice).</summary>
    public static IReadOnlyDictionary<string, JobCycle> CyclesByJob(TenantLogSnapshot? logs)
    {
        var cycles = new Dictionary<string, JobCycle>(StringComparer.Ordinal);
        foreach (var c in logs?.Cycles ?? []) cycles.TryAdd(c.Job.JobId, c);
        return cycles;
    }

    private static void ReadProximity(TenantSnapshot tenant, SampleWriter w)
    {
        var cycles = CyclesByJob(tenant.Logs);
        foreach (var job in tenant.JobList)
        {
            if (Proximity(job, cycles.GetValueOrDefault(job.JobId), tenant.Logs is not null) is { } p)
                w.Add(p, job.TenantId, job.ServicePrincipalId, job.JobId);
        }
    }

    private static TenantFamily Cycles(string name, string help, IReadOnlyList<string> labels, int perJob, Action<SampleWriter,
        JobCycle> read) =>
        new(name, MetricKind.Gauge, help, labels, SeriesBound.Jobs(perJob), TenantInputs.Logs, (tenant, w) =>
        {
            foreach (var cycle in tenant.Logs?.Cycles ?? []) read(w, cycle);
        });
}
