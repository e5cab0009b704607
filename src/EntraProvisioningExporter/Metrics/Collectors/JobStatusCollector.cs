using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>Status code and schedule of each job.</summary>
public sealed class JobStatusCollector : IMetricCollector
{
    public JobStatusCollector(JobInstruments i)
    {
        i.StateSet("entra_provisioning_job_status", "Job status code as a state set (1 for the current code); an unknown code appears as its raw value.",
            "code", KnownValues.StatusCodes, job => job.StatusCode);
        i.StateSet("entra_provisioning_job_schedule_state", "Job schedule state as a state set (1 for the current state).",
            "state", KnownValues.ScheduleStates, job => job.ScheduleState);
        i.Gauge("entra_provisioning_job_schedule_interval_seconds", "Interval between the job's scheduled runs, in seconds; absent when infinite.",
            job => job.ScheduleInterval?.TotalSeconds);
    }
}
