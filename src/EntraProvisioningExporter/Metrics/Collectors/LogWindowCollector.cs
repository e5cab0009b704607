using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>The trailing-window aggregates and the "no activity" signal from the logs.</summary>
public sealed class LogWindowCollector : IMetricCollector
{
    public LogWindowCollector(ExporterMeter meter, LogSnapshotStore store, TimeProvider time)
    {
        var m = meter.Meter;
        var window = meter.Options.Logs.Window;
        IEnumerable<JobWindow> Windows() => store.All.SelectMany(s => s.Windows);

        meter.PlanSeries("entra_provisioning_window_events", LogNormalization.Statuses.Count);
        m.CreateObservableGauge("entra_provisioning_window_events", () => Windows().SelectMany(w => new[]
            {
                new Measurement<long>(w.Success, LogTags.Of(w.Job, "status", "success")),
                new Measurement<long>(w.Failure, LogTags.Of(w.Job, "status", "failure")),
                new Measurement<long>(w.Skipped, LogTags.Of(w.Job, "status", "skipped")),
                new Measurement<long>(w.Warning, LogTags.Of(w.Job, "status", "warning")),
            }),
            unit: null, description: meter.PolledLogs($"Provisioning events in the trailing {window.TotalMinutes:0.##} minutes, by status."));
        meter.PlanSeries("entra_provisioning_window_failure_ratio", 1);
        m.CreateObservableGauge("entra_provisioning_window_failure_ratio",
            () => Windows().Where(w => w.FailureRatio is not null).Select(w => new Measurement<double>(w.FailureRatio!.Value, LogTags.Of(w.Job))),
            unit: null, description: meter.PolledLogs($"failures / (successes + failures + warnings) in the trailing {window.TotalMinutes:0.##} minutes; absent when there were none."));
        meter.PlanSeries("entra_provisioning_last_event_timestamp_seconds", 1);
        m.CreateObservableGauge("entra_provisioning_last_event_timestamp_seconds",
            () => Windows().Where(w => w.LastEvent is not null).Select(w => new Measurement<double>(w.LastEvent!.Value.ToUnixTimeMilliseconds() / 1000.0, LogTags.Of(w.Job))),
            unit: null, description: meter.PolledLogs("When the job's latest provisioning event happened, in Unix seconds."));
        meter.PlanSeries("entra_provisioning_last_event_age_seconds", 1);
        meter.Live.CreateObservableGauge("entra_provisioning_last_event_age_seconds",
            () => Windows().Where(w => w.LastEvent is not null).Select(w => new Measurement<double>(Math.Max(0, (time.GetUtcNow() - w.LastEvent!.Value).TotalSeconds), LogTags.Of(w.Job))),
            unit: null, description: meter.PolledLogs("Seconds since the job's latest provisioning event, computed at scrape time."));
    }
}
