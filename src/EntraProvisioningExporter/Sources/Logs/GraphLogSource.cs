using System.Globalization;
using System.Text.Json;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.Graph;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Serialization.Json;

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
///
/// Hostile pages: each event is read on its own, so one that cannot be read drops only itself; an event dated
/// outside the range asked for, or in the future beyond <see cref="LogEventTime.MaxClockSkew"/>, is not counted and
/// does not move the job's last-event time; a slice whose paging passes the page budget halves, and at the smallest
/// slice the rest of that slice is given up. Every one of these is a counted drop.
/// </summary>
public sealed class GraphLogSource : IPolledSource
{
    private static readonly TimeSpan MinSlice = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxSlice = TimeSpan.FromDays(1);

    private readonly TenantOptions tenant;
    private readonly LogsOptions logs;
    private readonly GraphServiceClient client;
    private readonly RequestBudget budget;
    private readonly TenantSnapshotStore store;
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
    private readonly SourceDrops drops;
    private readonly LogAggregatesWanted wanted;

    public GraphLogSource(TenantOptions tenant, ExporterOptions options, GraphServiceClient client, RequestBudget budget,
        TenantSnapshotStore store, TimeProvider time, SourceDrops drops)
    {
        this.drops = drops;
        this.tenant = tenant;
        this.options = options;
        wanted = LogAggregatesWanted.Of(options);
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
        if (!wanted.Any)
        {
            // Every family these events feed is left out (Exporter:Metrics): nothing to read them for.
            cursor = now;
            cursorReadAt = now;
            Publish(now);
            return CycleOutcome.Success;
        }
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
                catch (PageBudgetExhaustedException ex) when (slice > MinSlice)
                {
                    drops.Drop(DropReason.PageBudget, ex.Range, $"{ex.Message}; the slice halves and is read again");
                    slice = slice / 2 < MinSlice ? MinSlice : slice / 2;
                    break;
                }
                catch (PageBudgetExhaustedException ex)
                {
                    // Already the smallest slice: a chain this long is not a real minute of logs. Give the rest up, counted.
                    drops.Drop(DropReason.PageBudget, ex.Range, $"{ex.Message}; the rest of the slice is not read");
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
        var request = client.AuditLogs.Provisioning.ToGetRequestInformation(r =>
        {
            r.QueryParameters.Filter = filter;
            r.QueryParameters.Top = logs.GraphPageSize;
        });
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        for (var pages = 1; ; pages++)
        {
            var next = await ReadPageAsync(request, (e, lost) => Accept(e, lost, from, to, now), cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(next)) break;
            if (!visited.Add(next))
                throw new InvalidDataException("Graph's provisioning log paging did not end: a next-link repeated.");
            if (pages >= PageBudget.MaxPagesPerCollection)
                throw new PageBudgetExhaustedException($"provisioning logs {Iso(from)}..{Iso(to)}",
                    $"the slice has more than {PageBudget.MaxPagesPerCollection} pages");
            request = client.AuditLogs.Provisioning.WithUrl(next).ToGetRequestInformation();
        }
    }

    /// <summary>
    /// One page, each event read on its own with the SDK's model: one that cannot be read is dropped alone. Returns the next link.
    /// </summary>
    private async Task<string?> ReadPageAsync(RequestInformation request, Action<ProvisioningObjectSummary, IReadOnlyList<string>> accept,
        CancellationToken cancellationToken)
    {
        var (page, value) = await GraphPage.ReadAsync(client.RequestAdapter, request, "provisioning logs", cancellationToken)
            .ConfigureAwait(false);
        using (page)
        {
            foreach (var element in value.EnumerateArray())
            {
                var lost = new List<string>();
                if (ReadEvent(element, out var problem, lost) is { } e) accept(e, lost);
                else drops.Drop(DropReason.Invalid, GraphJson.String(element, "id"), problem!);
            }
            return GraphJson.String(page.RootElement, "@odata.nextLink");
        }
    }

    /// <summary>
    /// One event of a page with the SDK's model; null, and why, when it cannot be read. Never throws. A value the counts
    /// only read detail from (<see cref="EventValues"/>) that is of the wrong shape is taken out first and described in
    /// <paramref name="lost"/>: it costs that value, not the event.
    /// </summary>
    public static ProvisioningObjectSummary? ReadEvent(JsonElement element, out string? problem, List<string>? lost = null)
    {
        problem = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            problem = "a provisioning log event is not an object";
            return null;
        }
        try
        {
            using var cleaned = EventValues.Cleaned(element, lost ?? []);
            return new JsonParseNode(cleaned?.RootElement ?? element).GetObjectValue(ProvisioningObjectSummary.CreateFromDiscriminatorValue)
                ?? throw new JsonException("the event could not be read");
        }
        catch (Exception ex) when (ex
            is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException)
        {
            problem = $"a provisioning log event could not be read: {ex.Message}";
            return null;
        }
    }

    private void Accept(ProvisioningObjectSummary e, IReadOnlyList<string> lost, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(e.JobId)
            || (e.Id is { } known && seen.ContainsKey(known))) return; // not a job's event, or counted already
        if (string.IsNullOrEmpty(e.Id) || e.ActivityDateTime is not { } at)
        {
            drops.Drop(DropReason.Invalid, e.Id, "a provisioning log event has no id or no activityDateTime");
            return;
        }
        if (LogEventTime.Check(at, from, to, now) is { } reason)
        {
            drops.Drop(reason, e.Id,
                $"the event is dated {Iso(at)}, outside {Iso(from)}..{Iso(to)} asked for (now {Iso(now)}); not counted");
            return;
        }
        var sp = e.ServicePrincipal?.Id ?? "";
        if (!LabelCap.IdFits(e.JobId) || !LabelCap.IdFits(sp) || !LabelCap.IdFits(e.Id))
        {
            drops.Drop(DropReason.IdTooLong, e.Id,
                $"the event's id, job id or service principal id is over the {LabelCap.MaxBytes}-byte label cap");
            return;
        }
        var job = new JobKey(TenantId, sp, e.JobId);
        var status = LogNormalization.Status(e.ProvisioningStatusInfo?.Status?.ToString());
        var action = LogNormalization.Action(e.ProvisioningAction?.ToString());
        seen[e.Id] = (at, job, status);
        if (!lastEvent.TryGetValue(job, out var last) || at > last) lastEvent[job] = at;
        cycles.Add(job, e.CycleId is { } cycle ? LabelCap.Name(cycle) : null, at, action, status);
        if (at <= countFrom) return;
        foreach (var value in lost) drops.Drop(DropReason.BadValue, e.Id, $"{value}; the event is counted without it");
        counters.Stage(job, action, status,
            LabelCap.NameOrNull(LogNormalization.ErrorCode(e.ProvisioningStatusInfo?.ErrorInformation?.ErrorCode)), 1, Detail(e));
    }

    /// <summary>
    /// What the event says beyond action and status. A duration that is negative or absurd is dropped, counted, and the event is untimed.
    /// </summary>
    private EventDetail Detail(ProvisioningObjectSummary e)
    {
        var timed = EventDurations.Usable(e.DurationInMilliseconds);
        if (!timed && e.DurationInMilliseconds is { } bad)
            drops.Drop(DropReason.BadValue, e.Id,
                $"the event's durationInMilliseconds {bad} is not a duration (0 to "
                    + $"{EventDurations.MaxMilliseconds}); it is counted untimed");
        return new EventDetail(
            LogNormalization.Initiator(e.InitiatedBy?.InitiatorType?.ToString()),
            LogNormalization.Identity(e.SourceIdentity?.IdentityType),
            FailedStep(e.ProvisioningSteps),
            timed ? EventDurations.Bucket(e.DurationInMilliseconds!.Value) : EventDurations.Untimed,
            timed ? e.DurationInMilliseconds!.Value / 1000.0 : 0);
    }

    /// <summary>The type of the first step that failed; a failed step whose type Graph's SDK does not know (or none) is "other".</summary>
    private static string? FailedStep(List<ProvisioningStep>? steps) =>
        steps?.FirstOrDefault(s => s?.Status == ProvisioningResult.Failure) is { } failed
            ? LogNormalization.Step(failed.ProvisioningStepType?.ToString()) ?? LogNormalization.Other
            : null;

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
            return new JobWindow(job, Count("success"), Count("failure"), Count("skipped"), Count("warning"),
                lastEvent.TryGetValue(job, out var l) ? l : null);
        }).OrderBy(w => w.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(w => w.Job.JobId, StringComparer.Ordinal).ToList();
        store.PublishLogs(new TenantLogSnapshot(TenantId, Source, counters.Totals, windows, cursor, budgetExhaustions,
            new Dictionary<string, CustomQueryResult>()) { Cycles = cycles.Current(windowStart) });
    }

    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
