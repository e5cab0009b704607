using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>The initial cycle: its progress by unit kind (Graph's status.progress[]) and whether, and when, it first completed.</summary>
public static class InitialCycleFamilies
{
    /// <summary>At most this many unit kinds per job (Graph reports one or two).</summary>
    public const int MaxUnitKinds = 4;

    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return Progress("entra_provisioning_job_progress_completed_units",
            MetricHelp.FromGraph("Units the job has processed towards completing its cycle, by unit kind "
                + "(Graph's progress completedUnits)."), p => p.Completed);
        yield return Progress("entra_provisioning_job_progress_total_units",
            MetricHelp.FromGraph("Units in scope of the job's cycle, by unit kind (Graph's progress totalUnits)."), p => p.Total);
        yield return Progress("entra_provisioning_job_progress_observation_timestamp_seconds",
            MetricHelp.FromGraph("When Microsoft last observed the job's progress, by unit kind, in Unix seconds."),
                p => JobFamily.Unix(p.ObservedAt));
        yield return JobFamily.Gauge("entra_provisioning_job_steady_state_reached",
            MetricHelp.FromGraph("Whether the job has ever reached steady state, i.e. completed its initial cycle (1) or not yet (0)."),
            job => JobFamily.Flag(job.SteadyStateReached));
        yield return JobFamily.Timestamp("entra_provisioning_job_steady_state_first_achieved_timestamp_seconds",
            MetricHelp.FromGraph("When the job first reached steady state (its initial cycle completed), in Unix seconds."),
                job => job.SteadyStateFirstAchieved);
    }

    private static TenantFamily Progress(string name, string help, Func<ProgressState, double?> value) =>
        JobFamily.Labelled(name, help, "units", MaxUnitKinds, job => job.Progress.Take(MaxUnitKinds)
            .Select(p => (p.Units, value(p))).Where(p => p.Item2 is not null).Select(p => (p.Units, p.Item2!.Value)));
}
