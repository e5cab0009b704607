using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>Each job's identity (app and template), status code and schedule.</summary>
public static class JobStatusFamilies
{
    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return TenantFamily.PerJob("entra_provisioning_job_info",
            MetricHelp.FromGraph("Provisioning job information (value 1): the app (service principal) name and sync template."),
            ["app_name", "template_id"], 1, (job, w) => w.Add(1, job.AppName, job.TemplateId));
        yield return JobFamily.StateSet("entra_provisioning_job_status",
            MetricHelp.FromGraph("Job status code as a state set (1 for the current code); an unknown code appears as its raw value."),
            "code", KnownValues.StatusCodes, job => job.StatusCode);
        yield return JobFamily.StateSet("entra_provisioning_job_schedule_state",
            MetricHelp.FromGraph("Job schedule state as a state set (1 for the current state)."),
            "state", KnownValues.ScheduleStates, job => job.ScheduleState);
        yield return JobFamily.Gauge("entra_provisioning_job_schedule_interval_seconds",
            MetricHelp.FromGraph("Interval between the job's scheduled runs, in seconds; absent when infinite."),
            job => job.ScheduleInterval?.TotalSeconds);
    }
}
