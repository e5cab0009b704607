using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>The trailing-window aggregates and the "no activity" signal from the logs.</summary>
public static class LogWindowFamilies
{
    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return Windows("entra_provisioning_window_events",
            MetricHelp.FromLogs("Provisioning events in the trailing window (Exporter:Logs:Window, 1 hour by default), by status."),
            JobFamily.IdentityAnd("status"), LogNormalization.Statuses.Count, (w, window) =>
            {
                w.Add(window.Success, window.Job, "success");
                w.Add(window.Failure, window.Job, "failure");
                w.Add(window.Skipped, window.Job, "skipped");
                w.Add(window.Warning, window.Job, "warning");
            });
        yield return Windows("entra_provisioning_window_failure_ratio",
            MetricHelp.FromLogs("failures / (successes + failures + warnings) in the trailing window (Exporter:Logs:Window); "
                + "absent when there were none."),
            JobFamily.Identity, 1, (w, window) =>
            {
                if (window.FailureRatio is { } ratio) w.Add(ratio, window.Job);
            });
        yield return Windows("entra_provisioning_last_event_timestamp_seconds",
            MetricHelp.FromLogs("When the job's latest provisioning event happened, in Unix seconds."),
            JobFamily.Identity, 1, (w, window) =>
            {
                if (JobFamily.Unix(window.LastEvent) is { } at) w.Add(at, window.Job);
            });
        yield return Windows("entra_provisioning_last_event_age_seconds",
            MetricHelp.AgeFromLogs("Seconds since the job's latest provisioning event."),
            JobFamily.Identity, 1, (w, window) =>
            {
                if (JobFamily.Unix(window.LastEvent) is { } at) w.Add(at, window.Job);
            }, isAge: true);
    }

    private static TenantFamily Windows(string name, string help, IReadOnlyList<string> labels, int perJob, Action<SampleWriter,
        JobWindow> read, bool isAge = false) =>
        new(name, MetricKind.Gauge, help, labels, SeriesBound.Jobs(perJob), TenantInputs.Logs, (tenant, w) =>
        {
            foreach (var window in tenant.Logs?.Windows ?? []) read(w, window);
        }, isAge);
}
