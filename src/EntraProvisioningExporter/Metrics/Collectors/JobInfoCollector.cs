using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>entra_provisioning_job_info: one series per job carrying its app name and template, for joins.</summary>
public sealed class JobInfoCollector : IMetricCollector
{
    public JobInfoCollector(JobInstruments instruments, JobSnapshotStore store)
    {
        const string name = "entra_provisioning_job_info";
        instruments.Meter.PlanSeries(name, 1);
        instruments.Meter.Meter.CreateObservableGauge(name, () => store.AllJobs().Select(job =>
            new Measurement<long>(1, JobInstruments.With(JobInstruments.Identity(job, "app_name", job.AppName), "template_id", job.TemplateId))),
            unit: null, description: instruments.Meter.Polled("Provisioning job information (value 1): the app (service principal) name and sync template."));
    }
}
