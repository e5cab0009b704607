using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>Provisioning events counted from the logs, exactly once, by action and status, and failures by error code.</summary>
public static class LogEventFamilies
{
    /// <summary>
    /// The event series every known job has from the moment it is known, at 0 until counted: failures of every
    /// action, and successful deletes and disables. A counter series that appears with its first events hides them
    /// from increase() and rate(), so the alerts on failures and deletions would miss a job's first burst.
    /// </summary>
    public static readonly IReadOnlyList<(string Action, string Status)> VisibleFromTheStart =
    [
        .. LogNormalization.Actions.Select(a => (a, "failure")),
        ("delete", "success"), ("stageddelete", "success"), ("disable", "success"),
    ];

    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return new TenantFamily("entra_provisioning_events_total", MetricKind.Counter,
            MetricHelp.FromLogs("Provisioning events from the provisioning logs, by action and status (counted once each, from when the exporter started; a known job's failures and deletions start at 0).", o),
            JobFamily.IdentityAnd("action", "status"), SeriesBound.Jobs(LogNormalization.Actions.Count * (LogNormalization.Statuses.Count + 1)),
            TenantInputs.Jobs | TenantInputs.Logs | TenantInputs.Health, Events);
        yield return new TenantFamily("entra_provisioning_event_errors_total", MetricKind.Counter,
            MetricHelp.FromLogs($"Failed provisioning events by error code; each job has at most {o.Logs.MaxErrorCodesPerJob} codes of its own, the rest count as other.", o),
            JobFamily.IdentityAnd("error_code"), SeriesBound.Jobs(o.Logs.MaxErrorCodesPerJob + 2), TenantInputs.Logs, (tenant, w) =>
            {
                foreach (var e in tenant.Logs?.Errors ?? []) w.Add(e.Count, e.Job, e.ErrorCode);
            });
    }

    private static void Events(TenantSnapshot tenant, SampleWriter w)
    {
        if (!tenant.HasLogSource) return;
        var counted = new HashSet<(JobKey, string, string)>();
        foreach (var e in tenant.Logs?.Events ?? [])
        {
            w.Add(e.Count, e.Job.TenantId, e.Job.ServicePrincipalId, e.Job.JobId, e.Action, e.Status);
            counted.Add((e.Job, e.Action, e.Status));
        }
        var known = tenant.JobList.Select(j => new JobKey(j.TenantId, j.ServicePrincipalId, j.JobId))
            .Concat((tenant.Logs?.Events ?? []).Select(e => e.Job)).Distinct();
        foreach (var job in known)
            foreach (var (action, status) in VisibleFromTheStart)
                if (!counted.Contains((job, action, status))) w.Add(0, job.TenantId, job.ServicePrincipalId, job.JobId, action, status);
    }
}
