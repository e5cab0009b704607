using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>
/// What the provisioning events say beyond action and status, counted once each like the event counters: the step a
/// failure failed at (per job), who started the events and what they provisioned (per tenant, so they never multiply the
/// per-job series), and each job's operation time as a sum and a count (a dashboard's mean).
/// </summary>
public static class LogEventDetailFamilies
{
    /// <summary>The most tenants a per-tenant family is sized for (as the other per-tenant families).</summary>
    private const int Tenants = 10_000;

    public static IEnumerable<MetricFamily> All(ExporterOptions o)
    {
        yield return new TenantFamily("entra_provisioning_event_step_failures_total", MetricKind.Counter,
            MetricHelp.FromLogs("Failed provisioning events by the type of the step that failed (import, scoping, matching, processing, "
                + "referenceresolution, export; any other type is other). Source side: import and matching; target side: export."),
            JobFamily.IdentityAnd("step"), SeriesBound.Jobs(LogNormalization.StepTypes.Count), TenantInputs.Logs, (tenant, w) =>
            {
                foreach (var e in tenant.Logs?.StepFailures ?? []) w.Add(e.Count, e.Job, e.Step);
            });
        yield return PerTenant("entra_provisioning_events_by_initiator_total", "initiator_type", LogNormalization.InitiatorTypes,
            MetricHelp.FromLogs("Provisioning events of the tenant by who started them: system (the scheduled cycles), user (on-demand "
                + "provisioning by an admin), application (API-driven provisioning), other."), logs => logs.Initiators);
        yield return PerTenant("entra_provisioning_events_by_identity_type_total", "identity_type", LogNormalization.IdentityTypes,
            MetricHelp.FromLogs("Provisioning events of the tenant by the type of the source identity: user, group, other."),
            logs => logs.IdentityTypes);
        yield return new TenantHistogramFamily("entra_provisioning_event_duration_seconds",
            MetricHelp.FromLogs("How long the tenant's provisioning operations took, by action (durationInMilliseconds; every action from "
                + "the start, at 0 until timed)."),
            ["tenant_id", "action"], SeriesBound.AtMost(LogNormalization.Actions.Count * Tenants), EventDurations.BucketsSeconds,
            TenantInputs.Logs | TenantInputs.Health, Histograms);
        yield return new TenantFamily("entra_provisioning_timed_event_duration_seconds_total", MetricKind.Counter,
            MetricHelp.FromLogs("Seconds the job's timed provisioning events took, summed (durationInMilliseconds; divide its rate by "
                + "that of entra_provisioning_timed_events_total for the mean)."),
            JobFamily.Identity, SeriesBound.Jobs(1), TenantInputs.Logs, (tenant, w) =>
            {
                foreach (var d in tenant.Logs?.Durations ?? []) w.Add(d.Seconds, d.Job);
            });
        yield return new TenantFamily("entra_provisioning_timed_events_total", MetricKind.Counter,
            MetricHelp.FromLogs("The job's provisioning events that carried a usable duration."),
            JobFamily.Identity, SeriesBound.Jobs(1), TenantInputs.Logs, (tenant, w) =>
            {
                foreach (var d in tenant.Logs?.Durations ?? []) w.Add(d.Count, d.Job);
            });
    }

    private static readonly long[] NoCounts = new long[EventDurations.Count];
    private static readonly double[] NoSums = new double[EventDurations.Count];

    private static void Histograms(TenantSnapshot tenant, HistogramWriter w)
    {
        if (!tenant.HasLogSource) return;
        var timed = tenant.Logs?.DurationHistograms ?? [];
        foreach (var action in LogNormalization.Actions)
        {
            var h = timed.FirstOrDefault(t => t.Action == action);
            w.Add(h?.Counts ?? NoCounts, h?.Seconds ?? NoSums, tenant.TenantId, action);
        }
    }

    /// <summary>
    /// A per-tenant counter over a small enum: every member from the moment the tenant has a log source, at 0 until counted.
    /// </summary>
    private static TenantFamily PerTenant(string name, string label, IReadOnlyList<string> members, string help,
        Func<TenantLogSnapshot, IReadOnlyList<TenantEventCounter>> counts) =>
        new(name, MetricKind.Counter, help, ["tenant_id", label], SeriesBound.AtMost(members.Count * Tenants),
            TenantInputs.Logs | TenantInputs.Health, (tenant, w) =>
            {
                if (!tenant.HasLogSource) return;
                var counted = tenant.Logs is { } logs ? counts(logs) : [];
                foreach (var member in members)
                    w.Add(counted.FirstOrDefault(c => c.Value == member)?.Count ?? 0, tenant.TenantId, member);
            });
}
