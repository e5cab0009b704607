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
            MetricHelp.FromLogs("Provisioning events from the provisioning logs, by action and status (counted once each, from when the "
                + "exporter started; a known job's failures and deletions start at 0)."),
            JobFamily.IdentityAnd("action", "status"),
                SeriesBound.Jobs(LogNormalization.Actions.Count * (LogNormalization.Statuses.Count + 1)),
            TenantInputs.JobSet | TenantInputs.Logs | TenantInputs.Health, Events);
        yield return new TenantFamily("entra_provisioning_event_errors_total", MetricKind.Counter,
            MetricHelp.FromLogs("Failed provisioning events by error code; each job has at most Exporter:Logs:MaxErrorCodesPerJob codes "
                + $"of its own ({LogsOptions.DefaultMaxErrorCodesPerJob} by default), the rest count as other."),
            JobFamily.IdentityAnd("error_code"), SeriesBound.Jobs(o.Logs.MaxErrorCodesPerJob + 2), TenantInputs.Logs, (tenant, w) =>
            {
                foreach (var e in tenant.Logs?.Errors ?? []) w.Add(e.Count, e.Job, e.ErrorCode);
            });
    }

    private static void Events(TenantSnapshot tenant, SampleWriter w)
    {
        if (!tenant.HasLogSource) return;
        // Per job, which of the series visible from the start were counted: bit i for VisibleFromTheStart[i].
        var counted = new Dictionary<JobKey, int>();
        foreach (var e in tenant.Logs?.Events ?? [])
        {
            w.Add(e.Count, e.Job.TenantId, e.Job.ServicePrincipalId, e.Job.JobId, e.Action, e.Status);
            counted[e.Job] = counted.GetValueOrDefault(e.Job) | Bit(e.Action, e.Status);
        }
        // The others at 0, for every job the snapshot or the logs know.
        const int done = -1;
        foreach (var job in tenant.JobList)
        {
            var key = new JobKey(job.TenantId, job.ServicePrincipalId, job.JobId);
            Zeros(w, key, counted.GetValueOrDefault(key));
            counted[key] = done;
        }
        foreach (var (job, mask) in counted)
            if (mask != done) Zeros(w, job, mask);
    }

    private static int Bit(string action, string status)
    {
        for (var i = 0; i < VisibleFromTheStart.Count; i++)
            if (VisibleFromTheStart[i].Action == action && VisibleFromTheStart[i].Status == status) return 1 << i;
        return 0;
    }

    private static void Zeros(SampleWriter w, JobKey job, int counted)
    {
        for (var i = 0; i < VisibleFromTheStart.Count; i++)
            if ((counted & (1 << i)) == 0)
                w.Add(0, job.TenantId, job.ServicePrincipalId, job.JobId, VisibleFromTheStart[i].Action, VisibleFromTheStart[i].Status);
    }
}
