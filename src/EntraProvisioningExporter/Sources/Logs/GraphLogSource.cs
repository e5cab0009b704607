using System.Globalization;
using EntraProvisioningExporter.Configuration;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// A tenant's provisioning logs from Graph (/auditLogs/provisioning), for tenants without a workspace.
///
/// Reading: time slices from the cursor on activityDateTime, all pages, newest first. Events show in Graph
/// minutes late, so a read reaches GraphOverlap back from when the cursor's range was last read; every event
/// id read is remembered until no read can reach it, so an event read twice counts once. When a slice is read to
/// its end the cursor moves to the slice end and the next slice doubles; when the request budget (about
/// 5 requests per 10 s per app per tenant) would be exceeded, reading stops for this cycle, the slice halves,
/// entra_exporter_log_budget_exhausted_total counts it and entra_exporter_log_cursor_lag_seconds shows how
/// far behind the source is: it never falls silently behind, and is never throttled into failure.
///
/// Counting starts at "now" (history is not replayed into counters), but the first cycles read back one
/// window so the window gauges are right as soon as that backfill is done, and again after a restart.
/// </summary>
public sealed class GraphLogSource : IPolledSource
{
    private static readonly TimeSpan MinSlice = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxSlice = TimeSpan.FromDays(1);

    private readonly TenantOptions tenant;
    private readonly LogsOptions logs;
    private readonly GraphServiceClient client;
    private readonly RequestBudget budget;
    private readonly LogSnapshotStore store;
    private readonly TimeProvider time;
    private readonly ExporterOptions options;
    private readonly LogCounters counters;
    private readonly DateTimeOffset countFrom;
    private readonly Dictionary<string, (DateTimeOffset At, JobKey Job, string Status)> seen = new(StringComparer.Ordinal);
    private readonly Dictionary<JobKey, DateTimeOffset> lastEvent = [];
    private readonly CurrentCycles cycles = new();
    private DateTimeOffset cursor;
    private DateTimeOffset? cursorReadAt;
    private TimeSpan slice;
    private long budgetExhaustions;

    public GraphLogSource(TenantOptions tenant, ExporterOptions options, GraphServiceClient client, RequestBudget budget, LogSnapshotStore store, TimeProvider time)
    {
        this.tenant = tenant;
        this.options = options;
        logs = options.Logs;
        this.client = client;
        this.budget = budget;
        this.store = store;
        this.time = time;
        counters = new LogCounters(logs.MaxErrorCodesPerJob);
        TenantId = tenant.TenantId!;
        countFrom = time.GetUtcNow();
        cursor = countFrom - logs.Window;
        slice = logs.Window;
    }

    public string TenantId { get; }
    public string TenantName => tenant.DisplayName;
    public string Source => SourceNames.GraphProvisioningLogs;

    public async Task<CycleOutcome> RunCycleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Leave a tenth of the cycle's time for publishing; never wait for budget past that.
        budget.Deadline = now + options.EffectivePollTimeout * 0.9;
        try
        {
            while (cursor < now)
            {
                var end = cursor + slice < now ? cursor + slice : now;
                try
                {
                    await ReadAsync(ReadFrom(), end, cancellationToken).ConfigureAwait(false);
                }
                catch (RequestBudgetExhaustedException)
                {
                    budgetExhaustions++;
                    slice = slice / 2 < MinSlice ? MinSlice : slice / 2;
                    break;
                }
                cursor = end;
                cursorReadAt = now;
                slice = slice * 2 > MaxSlice ? MaxSlice : slice * 2;
            }
        }
        finally
        {
            // What was read is real and its ids are remembered: count it even if the cycle failed part-way.
            counters.Commit();
            Prune(now);
            Publish(now);
        }
        return CycleOutcome.Success;
    }

    /// <summary>
    /// Where a read starts. Only an event not yet visible when its range was read can have been missed, so the
    /// overlap reaches back from when the cursor's range was read, not from the cursor: a slice read long after
    /// its end (catching up) is not read twice, and near "now" the last GraphOverlap is read again.
    /// </summary>
    private DateTimeOffset ReadFrom() =>
        cursorReadAt is { } readAt && readAt - logs.GraphOverlap < cursor ? readAt - logs.GraphOverlap : cursor;

    private async Task ReadAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var filter = $"activityDateTime ge {Iso(from)} and activityDateTime le {Iso(to)}";
        var page = await client.AuditLogs.Provisioning.GetAsync(r =>
        {
            r.QueryParameters.Filter = filter;
            r.QueryParameters.Top = logs.GraphPageSize;
        }, cancellationToken).ConfigureAwait(false);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        while (page is not null)
        {
            foreach (var e in page.Value ?? []) Accept(e);
            if (string.IsNullOrEmpty(page.OdataNextLink)) break;
            if (!visited.Add(page.OdataNextLink))
                throw new InvalidDataException("Graph's provisioning log paging did not end: a next-link repeated.");
            page = await client.AuditLogs.Provisioning.WithUrl(page.OdataNextLink).GetAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private void Accept(ProvisioningObjectSummary e)
    {
        if (string.IsNullOrEmpty(e.Id) || e.ActivityDateTime is not { } at || seen.ContainsKey(e.Id) || string.IsNullOrEmpty(e.JobId)) return;
        var job = new JobKey(TenantId, e.ServicePrincipal?.Id ?? "", e.JobId);
        var status = LogNormalization.Status(e.ProvisioningStatusInfo?.Status?.ToString());
        var action = LogNormalization.Action(e.ProvisioningAction?.ToString());
        seen[e.Id] = (at, job, status);
        if (!lastEvent.TryGetValue(job, out var last) || at > last) lastEvent[job] = at;
        cycles.Add(job, e.CycleId, at, action, status);
        if (at > countFrom)
            counters.Stage(job, action, status, LogNormalization.ErrorCode(e.ProvisioningStatusInfo?.ErrorInformation?.ErrorCode), 1);
    }

    /// <summary>Forget ids the next read can no longer reach and the window no longer needs.</summary>
    private void Prune(DateTimeOffset now)
    {
        var keepFrom = ReadFrom() < now - logs.Window ? ReadFrom() : now - logs.Window;
        foreach (var id in seen.Where(kv => kv.Value.At < keepFrom).Select(kv => kv.Key).ToList()) seen.Remove(id);
    }

    private void Publish(DateTimeOffset now)
    {
        var windowStart = now - logs.Window;
        var inWindow = seen.Values.Where(v => v.At > windowStart).GroupBy(v => v.Job).ToDictionary(g => g.Key, g => g.ToList());
        var windows = lastEvent.Keys.Union(inWindow.Keys).Select(job =>
        {
            var events = inWindow.GetValueOrDefault(job) ?? [];
            long Count(string status) => events.Count(e => e.Status == status);
            return new JobWindow(job, Count("success"), Count("failure"), Count("skipped"), Count("warning"), lastEvent.TryGetValue(job, out var l) ? l : null);
        }).OrderBy(w => w.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(w => w.Job.JobId, StringComparer.Ordinal).ToList();
        store.Publish(new TenantLogSnapshot(TenantId, Source, counters.Events(), counters.Errors(), windows, cursor, budgetExhaustions,
            new Dictionary<string, CustomQueryResult>()) { Cycles = cycles.Current(windowStart) });
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
