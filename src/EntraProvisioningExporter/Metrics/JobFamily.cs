using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// The shapes of the per-job families, so each family file is a short list of names and selectors. Every job
/// series carries the job identity labels tenant_id, service_principal_id and job_id, then its own.
/// </summary>
public static class JobFamily
{
    public static readonly IReadOnlyList<string> Identity = ["tenant_id", "service_principal_id", "job_id"];

    public static IReadOnlyList<string> IdentityAnd(params string[] labels) => [.. Identity, .. labels];

    /// <summary>One series per job; a job whose selector gives null has none.</summary>
    public static TenantFamily Gauge(string name, string help, Func<JobState, double?> value) =>
        TenantFamily.PerJob(name, help, [], 1, (job, w) =>
        {
            if (value(job) is { } v) w.Add(v);
        });

    /// <summary>When something happened to each job, as a Unix timestamp; a job whose selector gives null has no series.</summary>
    public static TenantFamily Timestamp(string name, string help, Func<JobState, DateTimeOffset?> at) =>
        Gauge(name, help, job => Unix(at(job)));

    /// <summary>Seconds since something happened to each job, at collection time (see <see cref="TenantFamily.IsAge"/>).</summary>
    public static TenantFamily Age(string name, string help, Func<JobState, DateTimeOffset?> since) =>
        TenantFamily.PerJob(name, help, [], 1, (job, w) =>
        {
            if (Unix(since(job)) is { } at) w.Add(at);
        }, isAge: true);

    /// <summary>
    /// A state set: for each job, 1 for its current value and 0 for every other known value; a value Graph sends
    /// that is not known is shown as it came, with 1. A job with no value has no series.
    /// </summary>
    public static TenantFamily StateSet(string name, string help, string label, IReadOnlyList<string> known, Func<JobState,
        string?> current) =>
        TenantFamily.PerJob(name, help, [label], known.Count + 1, (job, w) =>
        {
            if (current(job) is not { } state) return;
            var matched = false;
            foreach (var k in known)
            {
                var on = string.Equals(k, state, StringComparison.Ordinal);
                matched |= on;
                w.Add(on ? 1 : 0, k);
            }
            if (!matched) w.Add(1, state);
        });

    /// <summary>
    /// Per job, one series per value of an extra label (object type, threshold…), at most <paramref name="maxPerJob"/>.
    /// </summary>
    public static TenantFamily Labelled(string name, string help, string label, int maxPerJob, Func<JobState,
        IEnumerable<(string Label, double Value)>> values) =>
        TenantFamily.PerJob(name, help, [label], maxPerJob, (job, w) =>
        {
            foreach (var (l, v) in values(job)) w.Add(v, l);
        });

    /// <summary>
    /// A Graph synchronizationError as one series per job while there is one: value 1, its code as Graph sends it and
    /// whether Microsoft says the tenant can fix it (tenant_actionable true, false or unknown).
    /// </summary>
    public static TenantFamily Error(string name, string help, Func<JobState, (string? Code, bool? TenantActionable)> error) =>
        TenantFamily.PerJob(name, help, ["code", "tenant_actionable"], 1, (job, w) =>
        {
            if (error(job) is { Code: { } code } e) w.Add(1, code, TenantActionable(e.TenantActionable));
        });

    public static double? Unix(DateTimeOffset? value) => value is { } v ? v.ToUnixTimeMilliseconds() / 1000.0 : null;

    private static string TenantActionable(bool? value) => value switch { true => "true", false => "false", null => "unknown" };

    public static double? Flag(bool? value) => value is { } v ? (v ? 1 : 0) : null;

    /// <summary>A log series' identity, the same labels as the job series.</summary>
    public static void Add(this SampleWriter w, double value, JobKey job) => w.Add(value, job.TenantId, job.ServicePrincipalId, job.JobId);

    public static void Add(this SampleWriter w, double value, JobKey job, string label)
        => w.Add(value, job.TenantId, job.ServicePrincipalId, job.JobId, label);
}
