using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics.Families;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// The status page at /: what the metrics say, at a glance. Per tenant the sources' health and freshness; per job,
/// worst first and at most <see cref="MaxRows"/> of them, its app, status, quarantine, escrow and deletion proximity
/// and last activity. Read from the same snapshots and computed by the same functions as the metric families.
/// Server-rendered, no script and no external asset; every name from the tenant is HTML-escaped.
/// </summary>
public sealed class StatusPage(TenantSnapshotStore snapshots, RuntimeConfiguration runtime, DroppedObjects drops, TimeProvider time)
{
    public const int DefaultRows = 100;
    public const int MaxRows = 1_000;

    /// <summary>One job as the page shows it.</summary>
    public sealed record JobRow(string Tenant, JobState Job, DateTimeOffset? DisableAt, double? Escrow, double? Deletion,
        DateTimeOffset? LastActivity)
    {
        /// <summary>Quarantined first (soonest disabled first), then the nearest to a threshold, then the longest idle.</summary>
        public (int, double, double) Severity(DateTimeOffset now) => (
            Job.IsQuarantined ? 0 : 1,
            Job.IsQuarantined ? (DisableAt - now)?.TotalSeconds ?? double.MaxValue : -Math.Max(Escrow ?? 0, Deletion ?? 0),
            -(now - (LastActivity ?? now)).TotalSeconds);
    }

    /// <summary>Every job of every tenant, worst first.</summary>
    public IReadOnlyList<JobRow> Rows()
    {
        var now = time.GetUtcNow();
        var options = runtime.Options;
        var rows = new List<JobRow>();
        foreach (var tenant in snapshots.All)
        {
            var cycles = DeleteThresholdFamilies.CyclesByJob(tenant.Logs);
            var name = TenantName(tenant.TenantId);
            foreach (var job in tenant.JobList)
            {
                var escrow = EscrowProximity.Compute(job.LastExecution, options.Quarantine).Select(t => (double?)t.Value).Max();
                rows.Add(new JobRow(name, job, QuarantineFamilies.DisableAt(job, options.Quarantine), escrow,
                    DeleteThresholdFamilies.Proximity(job, cycles.GetValueOrDefault(job.JobId), tenant.Logs is not null),
                        JobActivityFamilies.LastActivity(job)));
            }
        }
        return rows.OrderBy(r => r.Severity(now)).ThenBy(r => r.Job.AppName, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public string Render(int rows)
    {
        var now = time.GetUtcNow();
        var h = HtmlEncoder.Default;
        var all = Rows();
        var shown = all.Take(Math.Clamp(rows, 1, MaxRows)).ToList();
        var html = new StringBuilder(4096 + shown.Count * 400);
        html.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
            <title>Entra Provisioning Exporter</title>
            <style>
            body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
            th,td{border-bottom:1px solid #ddd;padding:.3em .7em;text-align:left}th{background:#f3f3f3}
            .bad{color:#b00020;font-weight:600}.warn{color:#a15c00;font-weight:600}.ok{color:#1b5e20}.num{text-align:right}
            </style></head><body>
            <h1>Entra Provisioning Exporter</h1>
            """);
        html.Append(CultureInfo.InvariantCulture, $"<p>Status at {now.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z. ")
            .Append("Scrape <a href=\"metrics\">/metrics</a>; ")
            .Append("health: <a href=\"healthz\">/healthz</a>, <a href=\"readyz\">/readyz</a>.</p>\n");

        html.Append("<h2>Sources</h2>\n<table id=\"sources\"><tr><th>tenant</th><th>source</th><th>state</th><th>last success</th>"
            + "<th>last error</th><th class=\"num\">cycles</th><th class=\"num\">objects dropped</th></tr>\n");
        foreach (var tenant in snapshots.All)
        {
            foreach (var source in tenant.Sources)
            {
                var state = source.Up ? "<span class=\"ok\">up</span>" : source.FirstCycleDone ? "<span class=\"bad\">down</span>"
                    : "<span class=\"warn\">starting</span>";
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{h.Encode(TenantName(tenant.TenantId))}</td><td>{h.Encode(source.Source)}</td><td>{state}</td>")
                    .Append(CultureInfo.InvariantCulture,
                        $"<td>{Ago(source.LastSuccess, now)}</td><td>{h.Encode(source.LastErrorReason ?? "")}</td>")
                    .Append(CultureInfo.InvariantCulture,
                        $"<td class=\"num\">{source.Cycles}</td><td class=\"num\">{Dropped(tenant.TenantId, source.Source)}</td></tr>\n");
            }
        }
        html.Append("</table>\n");

        html.Append(CultureInfo.InvariantCulture, $"<h2>Jobs, worst first</h2>\n<p>Showing {shown.Count} of {all.Count} jobs");
        if (shown.Count < all.Count) html.Append(CultureInfo.InvariantCulture,
            $" (<a href=\"?rows={MaxRows}\">up to {MaxRows}</a>; every job is on /metrics)");
        html.Append(".</p>\n<table id=\"jobs\"><tr><th>app</th><th>tenant</th><th>status</th><th>quarantine</th><th>disabled in</th>"
            + "<th class=\"num\">escrow proximity</th><th class=\"num\">deletion proximity</th><th>last activity</th></tr>\n");
        foreach (var r in shown)
        {
            var status = r.Job.IsQuarantined ? "<span class=\"bad\">Quarantine</span>" : h.Encode(r.Job.StatusCode);
            var quarantine = r.Job.IsQuarantined ? h.Encode(r.Job.Quarantine?.Reason ?? KnownValues.Unknown) : "";
            var disable = r.DisableAt is { } at ? Days(at - now) : "";
            html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td title=\"{h.Encode(r.Job.JobId)}\">{h.Encode(r.Job.AppName)}</td><td>{h.Encode(r.Tenant)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{status}</td><td>{quarantine}</td><td>{disable}</td>")
                .Append(CultureInfo.InvariantCulture,
                    $"<td class=\"num\">{Proximity(r.Escrow)}</td><td class=\"num\">{Proximity(r.Deletion)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{Ago(r.LastActivity, now)}</td></tr>\n");
        }
        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>Objects the source left out since it started; the reasons are on /metrics and each object is in the log once.</summary>
    private string Dropped(string tenantId, string source) => drops.Total(tenantId, source) is var n and > 0
        ? $"<span class=\"warn\">{n.ToString(CultureInfo.InvariantCulture)}</span>"
        : "0";

    private string TenantName(string tenantId) =>
        runtime.Options.Tenants.FirstOrDefault(t => string.Equals(t.TenantId, tenantId, StringComparison.OrdinalIgnoreCase))?.DisplayName
            ?? tenantId;

    private static string Proximity(double? value) => value switch
    {
        null => "",
        >= 1 => $"<span class=\"bad\">{Percent(value.Value)}</span>",
        >= 0.8 => $"<span class=\"warn\">{Percent(value.Value)}</span>",
        _ => Percent(value.Value),
    };

    private static string Percent(double value) => value.ToString("0%", CultureInfo.InvariantCulture);

    private static string Days(TimeSpan left) => left <= TimeSpan.Zero
        ? "<span class=\"bad\">now</span>"
        : string.Create(CultureInfo.InvariantCulture,
            $"<span class=\"{(left.TotalDays < 7 ? "bad" : "warn")}\">{left.TotalDays:0.#} days</span>");

    private static string Ago(DateTimeOffset? at, DateTimeOffset now) => at is { } t ? HumanDuration.Format(now - t) + " ago" : "never";
}
