using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>Provisioning events counted from the logs, exactly once, by action and status, and failures by error code.</summary>
public sealed class LogEventsCollector : IMetricCollector
{
    public LogEventsCollector(ExporterMeter meter, LogSnapshotStore store)
    {
        var m = meter.Meter;
        meter.PlanSeries("entra_provisioning_events_total", LogNormalization.Actions.Count * (LogNormalization.Statuses.Count + 1));
        m.CreateObservableCounter("entra_provisioning_events_total",
            () => store.All.SelectMany(s => s.Events).Select(e => new Measurement<long>(e.Count, LogTags.Of(e.Job, "action", e.Action, "status", e.Status))),
            unit: null, description: meter.PolledLogs("Provisioning events from the provisioning logs, by action and status (counted once each, from when the exporter started)."));
        meter.PlanSeries("entra_provisioning_event_errors_total", meter.Options.Logs.MaxErrorCodesPerJob + 2);
        m.CreateObservableCounter("entra_provisioning_event_errors_total",
            () => store.All.SelectMany(s => s.Errors).Select(e => new Measurement<long>(e.Count, LogTags.Of(e.Job, "error_code", e.ErrorCode))),
            unit: null, description: meter.PolledLogs($"Failed provisioning events by error code; each job has at most {meter.Options.Logs.MaxErrorCodesPerJob} codes of its own, the rest count as \"other\"."));
    }
}

internal static class LogTags
{
    /// <summary>A log series' labels: the same identity labels as the job series, plus its own.</summary>
    public static System.Diagnostics.TagList Of(JobKey job) => JobInstruments.Identity(job.TenantId, job.ServicePrincipalId, job.JobId);

    public static System.Diagnostics.TagList Of(JobKey job, string key, string value) => JobInstruments.With(Of(job), key, value);

    public static System.Diagnostics.TagList Of(JobKey job, string key1, string value1, string key2, string value2) =>
        JobInstruments.With(Of(job, key1, value1), key2, value2);
}
