using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources.LogAnalytics;

namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// A tenant's provisioning logs from Log Analytics. Each cycle:
/// 1. counts the events ingested since the cursor, (cursor, now − IngestionSettle], by ingestion_time(): an event
///    that arrives late is counted when it lands, and none twice. The cursor starts at "now" (history is not
///    replayed) and moves only when a query returned complete data (a PartialError moves nothing);
/// 2. reads the trailing window and each job's latest event, server-side, so they are right from the first cycle;
/// 3. runs the user's custom queries.
/// Each part fails on its own; what failed keeps its last good values and the cycle reports the first reason.
/// Within a part each row stands alone: a row that cannot be read, whose count is negative or absurd, whose ids are
/// over the label cap, or whose latest event lies outside the range asked for (or in the future), is dropped and
/// counted, and the other rows are used.
/// </summary>
public sealed class LogAnalyticsLogSource : IPolledSource
{
    private readonly TenantOptions tenant;
    private readonly LogsOptions logs;
    private readonly LogsQueryClient client;
    private readonly TenantSnapshotStore store;
    private readonly TimeProvider time;
    private readonly LogCounters counters;
    private readonly string workspaceId;
    private DateTimeOffset cursor;
    private IReadOnlyList<JobWindow> windows = [];
    private IReadOnlyList<JobCycle> cycles = [];
    private readonly Dictionary<string, CustomQueryResult> custom = new(StringComparer.Ordinal);
    private readonly SourceDrops drops;
    private readonly Metrics.MetricSelection selection;
    private readonly LogAggregatesWanted wanted;

    public LogAnalyticsLogSource(TenantOptions tenant, ExporterOptions options, LogsQueryClient client, TenantSnapshotStore store,
        TimeProvider time, SourceDrops drops)
    {
        this.drops = drops;
        this.tenant = tenant;
        logs = options.Logs;
        selection = Metrics.MetricSelection.Of(options);
        wanted = LogAggregatesWanted.Of(options);
        this.client = client;
        this.store = store;
        this.time = time;
        counters = new LogCounters(logs.MaxErrorCodesPerJob);
        workspaceId = tenant.Logs.WorkspaceId!;
        TenantId = tenant.TenantId!;
        cursor = time.GetUtcNow() - logs.IngestionSettle;
    }

    public string TenantId { get; }
    public string TenantName => tenant.DisplayName;
    public string Source => SourceNames.LogAnalytics;

    public async Task<CycleOutcome> RunCycleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var failures = new List<(string Reason, string Detail)>();

        async Task Part(string what, Func<Task> run)
        {
            try
            {
                await run().ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested || ex is not OperationCanceledException)
            {
                var (reason, detail) = PollErrorClassifier.Classify(ex);
                failures.Add((reason, $"{what}: {detail}"));
            }
        }

        // A query that only left-out families read is not sent (LogAggregatesWanted).
        if (wanted.Events) await Part("event counts", () => CountIncrementsAsync(now, cancellationToken)).ConfigureAwait(false);
        else cursor = now - logs.IngestionSettle;
        if (wanted.Windows) await Part("trailing window", () => ReadWindowAsync(now, cancellationToken)).ConfigureAwait(false);
        if (wanted.Cycles) await Part("current cycles", () => ReadCyclesAsync(now, cancellationToken)).ConfigureAwait(false);
        // A custom query whose family Exporter:Metrics leaves out is not run.
        foreach (var q in tenant.Logs.CustomQueries.Where(q => selection.Includes(q.Name ?? "")))
            await Part($"custom query {q.Name}", () => RunCustomQueryAsync(q, now, cancellationToken)).ConfigureAwait(false);

        store.PublishLogs(new TenantLogSnapshot(TenantId, Source, counters.Totals, windows, cursor, 0,
            new Dictionary<string, CustomQueryResult>(custom, StringComparer.Ordinal)) { Cycles = cycles });
        return failures.Count == 0 ? CycleOutcome.Success
            : new CycleOutcome(failures[0].Reason, string.Join("; ", failures.Select(f => f.Detail)));
    }

    private async Task CountIncrementsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var upper = now - logs.IngestionSettle;
        if (upper <= cursor) return;
        var result = await client.QueryWorkspaceAsync(workspaceId, LogAnalyticsQueries.Increments(cursor, upper),
            new QueryTimeRange(cursor - logs.MaxIngestionDelay, upper), Options(), cancellationToken).ConfigureAwait(false);
        var staged = new List<(string Reason, string? Id, string Detail)>();
        try
        {
            LogAnalyticsRows.Increments(TenantId, result.Table, counters, staged);
        }
        catch
        {
            counters.DiscardStaged(); // the table's shape is wrong: nothing of it is counted, and the cursor stays
            throw;
        }
        foreach (var drop in staged) drops.Drop(drop.Reason, drop.Id, drop.Detail);
        counters.Commit();
        cursor = upper;
    }

    private async Task ReadWindowAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lookback = now - logs.LastEventLookback;
        var result = await client.QueryWorkspaceAsync(workspaceId, LogAnalyticsQueries.Window(lookback, now - logs.Window),
            new QueryTimeRange(lookback, now), Options(), cancellationToken).ConfigureAwait(false);
        var dropped = new List<(string Reason, string? Id, string Detail)>();
        windows = LogAnalyticsRows.Windows(TenantId, result.Table, lookback, now, dropped);
        foreach (var drop in dropped) drops.Drop(drop.Reason, drop.Id, drop.Detail);
    }

    private async Task ReadCyclesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lookback = now - logs.LastEventLookback;
        var result = await client.QueryWorkspaceAsync(workspaceId, LogAnalyticsQueries.CurrentCycles(lookback, now - logs.Window),
            new QueryTimeRange(lookback, now), Options(), cancellationToken).ConfigureAwait(false);
        cycles = CurrentCycleMapper.Map(TenantId, result.Table);
    }

    private async Task RunCustomQueryAsync(CustomQueryOptions q, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = await client.QueryWorkspaceAsync(workspaceId, q.Query!, new QueryTimeRange(now - q.TimeRange, now), Options(),
            cancellationToken).ConfigureAwait(false);
        custom[q.Name!] = CustomQueryMapper.Map(TenantId, q, result.Table);
    }

    private LogsQueryOptions Options() => new() { ServerTimeout = logs.ServerTimeout, AllowPartialErrors = false };
}

/// <summary>
/// Turns the event-count and window queries' tables into counts and windows, each row on its own: a row that cannot be
/// read, whose count is negative or absurd, whose ids are over the label cap, or whose latest event lies outside the
/// range asked for (or in the future), is left out and listed in <c>dropped</c>. A missing column still throws: that is
/// the table's shape, not one row.
/// </summary>
public static class LogAnalyticsRows
{
    /// <summary>More events than this in one row of one cycle is not a real count (it would also overflow the counters in time).</summary>
    public const long MaxEventsPerRow = 1_000_000_000;

    public static void Increments(string tenantId, LogsTable table, LogCounters counters,
        List<(string Reason, string? Id, string Detail)> dropped)
    {
        foreach (var row in table.Rows)
            if (Read(row, "event count", r =>
                {
                    if (r.GetString("JobId") is not { Length: > 0 } jobId) return null; // not attributable to a job
                    if (r.GetInt64("Events") is not { } events || events is < 0 or > MaxEventsPerRow)
                        return (DropReason.BadValue, $"its event count {r.GetString("Events")} is not a count");
                    if (events == 0) return null; // nothing to count, nor to time
                    var (detail, bad) = Detail(r, events);
                    counters.Stage(Job(tenantId, r, jobId), LogNormalization.Action(r.GetString("ProvisioningAction")),
                        LogNormalization.Status(r.GetString("ResultType")),
                        LabelCap.NameOrNull(LogNormalization.ErrorCode(r.GetString("ResultSignature"))), events, detail);
                    return bad;
                }) is { } drop)
                dropped.Add(drop);
    }

    /// <summary>
    /// A row's initiator, identity and failing step, and its durations: its DurationBucket and the events' summed DurationMs.
    /// A bucket the query does not make, a total the bucket cannot hold, or events with a negative or absurd DurationMs leave
    /// the row's events untimed and are reported as a bad value; the events themselves still count.
    /// </summary>
    private static (EventDetail Detail, (string Reason, string Detail)? Bad) Detail(LogsTableRow r, long events)
    {
        var (bucket, total, problem) = Timing(r, events);
        var detail = new EventDetail(
            LogNormalization.Initiator(r.GetString("InitiatorType")),
            LogNormalization.Identity(r.GetString("IdentityType")),
            LogNormalization.Step(r.GetString("FailedStep")),
            problem is null ? bucket : EventDurations.Untimed,
            problem is null && bucket >= 0 ? total / 1000.0 : 0);
        return (detail, problem is null ? null : (DropReason.BadValue, $"{problem}; its {events} events are counted untimed"));
    }

    private static (int Bucket, double TotalMs, string? Problem) Timing(LogsTableRow r, long events)
    {
        try
        {
            var bucket = r.GetInt64("DurationBucket");
            var total = r.GetDouble("TotalDurationMs");
            if (r.GetDouble("DurationBucket") is { } raw && raw != Math.Floor(raw))
                return (EventDurations.Untimed, 0, $"its DurationBucket {raw} is not a bucket");
            if (bucket is >= 0 && total is null) return (EventDurations.Untimed, 0, "its timed events have no TotalDurationMs");
            return bucket switch
            {
                null or EventDurations.Untimed => (EventDurations.Untimed, 0, null),
                LogAnalyticsQueries.BadDuration => (EventDurations.Untimed, 0, "its events have a negative or absurd DurationMs"),
                var b when !EventDurations.Fits((int)Math.Clamp(b.Value, -1, EventDurations.Count), events, total!.Value) =>
                    (EventDurations.Untimed, 0, $"its durations ({total} ms in all in bucket {b}) do not fit their bucket"),
                var b => ((int)b.Value, total!.Value, null),
            };
        }
        catch (Exception ex) when (ex is (InvalidDataException or FormatException or OverflowException) and not MissingColumnException)
        {
            return (EventDurations.Untimed, 0, $"its durations could not be read ({ex.Message})");
        }
    }

    public static IReadOnlyList<JobWindow> Windows(string tenantId, LogsTable table, DateTimeOffset lookback, DateTimeOffset now,
        List<(string Reason, string? Id, string Detail)> dropped)
    {
        var read = new List<JobWindow>();
        foreach (var row in table.Rows)
            if (Read(row, "window", r =>
                {
                    if (r.GetString("JobId") is not { Length: > 0 } jobId) return null;
                    long?[] counts = [r.GetInt64("Success"), r.GetInt64("Failure"), r.GetInt64("Skipped"), r.GetInt64("Warning")];
                    if (counts.Any(c => c is < 0 or > MaxEventsPerRow)) return (DropReason.BadValue,
                        "a count of the job's window is negative or absurd");
                    var last = r.GetDateTimeOffset("LastEvent");
                    if (last is { } at && LogEventTime.Check(at, lookback, now, now) is { } reason)
                        return (reason,
                            $"the job's latest event is dated {GraphLogSource.Iso(at)}, outside "
                                + $"{GraphLogSource.Iso(lookback)}..{GraphLogSource.Iso(now)}");
                    read.Add(new JobWindow(Job(tenantId, r, jobId), counts[0] ?? 0, counts[1] ?? 0, counts[2] ?? 0, counts[3] ?? 0, last));
                    return null;
                }) is { } drop)
                dropped.Add(drop);
        return read.OrderBy(w => w.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(w => w.Job.JobId, StringComparer.Ordinal)
            .ToList();
    }

    private static JobKey Job(string tenantId, LogsTableRow row, string jobId)
        => new(tenantId, row.GetString("ServicePrincipalId") ?? "", jobId);

    private static (string Reason, string? Id, string Detail)? Read(LogsTableRow row, string what, Func<LogsTableRow,
        (string Reason, string Detail)?> read)
    {
        string? id = null;
        try
        {
            id = row.GetString("JobId");
            if (id is not null && (!LabelCap.IdFits(id) || !LabelCap.IdFits(row.GetString("ServicePrincipalId") ?? "")))
                return (DropReason.IdTooLong, id,
                    $"a {what} row's job or service principal id is over the {LabelCap.MaxBytes}-byte label cap");
            return read(row) is { } drop ? (drop.Reason, id, $"a {what} row: {drop.Detail}") : null;
        }
        catch (Exception ex) when (ex
            is (InvalidDataException or FormatException or OverflowException or InvalidOperationException) and not MissingColumnException)
        {
            return (DropReason.Invalid, id, $"a {what} row could not be read: {ex.Message}");
        }
    }
}

/// <summary>Turns the current-cycles query's table into each job's current cycle.</summary>
public static class CurrentCycleMapper
{
    public static IReadOnlyList<JobCycle> Map(string tenantId, LogsTable table)
    {
        var read = new List<JobCycle>();
        foreach (var r in table.Rows)
        {
            // A row without a job, a cycle id or times is not a cycle: skipped, never guessed.
            if (r.GetString("JobId") is not { Length: > 0 } jobId || r.GetString("CycleId") is not { Length: > 0 } cycleId
                || r.GetDateTimeOffset("CycleStart") is not { } started || r.GetDateTimeOffset("LastEvent") is not { } last)
                continue;
            read.Add(new JobCycle(new JobKey(tenantId, r.GetString("ServicePrincipalId") ?? "", jobId), cycleId, started, last,
                Count(r, "Deletes"), Count(r, "Disables"), Count(r, "StagedDeletes")));
        }
        return read.OrderBy(c => c.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(c => c.Job.JobId, StringComparer.Ordinal)
            .ToList();
    }

    private static long Count(LogsTableRow row, string column) => Math.Max(0, row.GetInt64(column) ?? 0);
}

/// <summary>Turns a custom query's table into gauge samples: one per row, labels from the declared columns, bounded.</summary>
public static class CustomQueryMapper
{
    public static CustomQueryResult Map(string tenantId, CustomQueryOptions q, LogsTable table)
    {
        table.Ordinal(q.ValueColumn!);
        foreach (var c in q.LabelColumns) table.Ordinal(c);
        var samples = new List<CustomSample>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var dropped = 0;
        foreach (var row in table.Rows)
        {
            if (row.GetDouble(q.ValueColumn!) is not { } value)
            {
                dropped++;
                continue;
            }
            var labels = new KeyValuePair<string, string>[q.LabelColumns.Count + 1];
            labels[0] = new("tenant_id", tenantId);
            for (var i = 0; i < q.LabelColumns.Count; i++) labels[i + 1] = new(q.LabelColumns[i], row.GetString(q.LabelColumns[i]) ?? "");
            var identity = string.Join("\u0001", labels.Select(l => l.Value));
            if (!seen.Add(identity) || samples.Count >= q.MaxSeries)
            {
                dropped++;
                continue;
            }
            samples.Add(new CustomSample(labels, value));
        }
        return new CustomQueryResult(samples, dropped);
    }
}
