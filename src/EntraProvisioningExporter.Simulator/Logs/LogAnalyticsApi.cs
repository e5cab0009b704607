using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EntraProvisioningExporter.Simulator.Graph;
using EntraProvisioningExporter.Simulator.Scenario;

namespace EntraProvisioningExporter.Simulator.Logs;

/// <summary>A result table the simulator returns for a query it was given verbatim (custom-query tests).</summary>
public sealed record CannedTable(IReadOnlyList<(string Name, string Type)> Columns, IReadOnlyList<object?[]> Rows);

/// <summary>
/// The Log Analytics query API (POST /v1/workspaces/{workspaceId}/query) over the tenant's event stream,
/// as the service answers it: {"tables":[{"name":"PrimaryResult","columns":[…],"rows":[…]}]}, events
/// visible only once ingested (2–6 minutes after they happen), and on request a PartialError (HTTP 200
/// with an "error" object and only part of the rows).
///
/// It is not a KQL engine. It understands exactly these shapes (the exporter's built-in queries) and
/// answers anything else with 400 "the simulator does not understand this query":
/// 1. increments: <c>AADProvisioningLogs | where ingestion_time() &gt; datetime(A) and ingestion_time() &lt;= datetime(B)
///    | extend ServicePrincipalId = …, InitiatorType = …, IdentityType = … | mv-apply … FailedStep …
///    | extend DurationBucket = case(…)
///    | summarize Events = count(), TotalDurationMs = sum(DurationMs) by JobId, ServicePrincipalId, ProvisioningAction,
///    ResultType, ResultSignature, InitiatorType, IdentityType, FailedStep, DurationBucket</c> (see LogAnalyticsQueries)
/// 2. window: <c>AADProvisioningLogs | where TimeGenerated &gt; datetime(L) | extend ServicePrincipalId = …
///    | summarize LastEvent = max(TimeGenerated), Success = countif(ResultType == "Success" and TimeGenerated &gt; datetime(W)),
///    Failure = countif(…), Skipped = countif(…), Warning = countif(…) by JobId, ServicePrincipalId</c>
/// 3. current cycles: <c>AADProvisioningLogs | where TimeGenerated &gt; datetime(L) and isnotempty(CycleId)
///    | extend ServicePrincipalId = …
///    | summarize CycleStart = min(TimeGenerated), LastEvent = max(TimeGenerated), Deletes = countif(…), Disables = countif(…),
///    StagedDeletes = countif(…) by JobId, ServicePrincipalId, CycleId | where LastEvent &gt; datetime(A)
///    | summarize arg_max(LastEvent, CycleId, CycleStart, Deletes, Disables, StagedDeletes) by JobId, ServicePrincipalId</c>
/// 4. any query text registered with <see cref="AddCannedQuery"/>, answered with its table.
/// </summary>
public sealed partial class LogAnalyticsApi(SimulatedTenant tenant, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, CannedTable> canned = new(StringComparer.Ordinal);

    [GeneratedRegex(@"^AADProvisioningLogs \| where ingestion_time\(\) > datetime\((?<from>[^)]+)\) "
        + @"and ingestion_time\(\) <= datetime\((?<to>[^)]+)\) "
        + @"\| extend ServicePrincipalId = tostring\(parse_json\(ServicePrincipal\)\.Id\) "
        + @"\| extend Initiator = parse_json\(InitiatedBy\), Identity = parse_json\(SourceIdentity\) "
        + @"\| extend InitiatorType = coalesce\(tostring\(Initiator\.initiatorType\), tostring\(Initiator\.InitiatorType\)\) "
        + @"\| extend IdentityType = coalesce\(tostring\(Identity\.identityType\), tostring\(Identity\.IdentityType\)\) "
        + @"\| mv-apply Step = parse_json\(ProvisioningSteps\) on \( "
        + @"extend StepType = coalesce\(tostring\(Step\.provisioningStepType\), tostring\(Step\.ProvisioningStepType\)\) "
        + @"\| summarize FailedStep = take_anyif\(StepType, coalesce\(tostring\(Step\.status\), tostring\(Step\.Status\)\) "
        + @"=~ ""failure""\)\) "
        + @"\| extend DurationBucket = case\(isnull\(DurationMs\), -1, DurationMs < 0 or DurationMs > (?<max>[0-9]+), -2, "
        + @"(?<bounds>(?:DurationMs <= [0-9]+, [0-9]+, )+)(?<last>[0-9]+)\) "
        + @"\| summarize Events = count\(\), TotalDurationMs = sum\(DurationMs\) "
        + @"by JobId, ServicePrincipalId, ProvisioningAction, ResultType, ResultSignature, InitiatorType, "
        + @"IdentityType, FailedStep, DurationBucket$")]
    private static partial Regex IncrementQuery();

    [GeneratedRegex(@"^\s*AADProvisioningLogs\s*\|\s*where TimeGenerated > datetime\((?<lookback>[^)]+)\)"
        + @"\s*\|\s*extend ServicePrincipalId = tostring\(parse_json\(ServicePrincipal\)\.Id\)"
        + @"\s*\|\s*summarize LastEvent = max\(TimeGenerated\), "
        + @"Success = countif\(ResultType == ""Success"" and TimeGenerated > datetime\((?<window>[^)]+)\)\), "
        + @"Failure = countif\(ResultType == ""Failure"" and TimeGenerated > datetime\(\k<window>\)\), "
        + @"Skipped = countif\(ResultType == ""Skipped"" and TimeGenerated > datetime\(\k<window>\)\), "
        + @"Warning = countif\(ResultType == ""Warning"" and TimeGenerated > datetime\(\k<window>\)\)"
        + @" by JobId, ServicePrincipalId\s*$")]
    private static partial Regex WindowQuery();

    [GeneratedRegex(@"^\s*AADProvisioningLogs\s*\|\s*where TimeGenerated > datetime\((?<lookback>[^)]+)\) and isnotempty\(CycleId\)"
        + @"\s*\|\s*extend ServicePrincipalId = tostring\(parse_json\(ServicePrincipal\)\.Id\)"
        + @"\s*\|\s*summarize CycleStart = min\(TimeGenerated\), "
        + @"LastEvent = max\(TimeGenerated\), "
        + @"Deletes = countif\(ProvisioningAction == ""Delete"" and ResultType != ""Skipped""\), "
        + @"Disables = countif\(ProvisioningAction == ""Disable"" and ResultType != ""Skipped""\), "
        + @"StagedDeletes = countif\(ProvisioningAction == ""StagedDelete""\) by JobId, ServicePrincipalId, CycleId"
        + @"\s*\|\s*where LastEvent > datetime\((?<active>[^)]+)\)"
        + @"\s*\|\s*summarize arg_max\(LastEvent, CycleId, CycleStart, Deletes, Disables, StagedDeletes\)"
        + @" by JobId, ServicePrincipalId\s*$")]
    private static partial Regex CurrentCyclesQuery();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"DurationMs <= (?<ms>[0-9]+), (?<bucket>[0-9]+)")]
    private static partial Regex Bound();

    public void AddCannedQuery(string query, CannedTable table) => canned[query.Trim()] = table;

    public GraphResponse Query(string workspaceId, string body, bool partial)
    {
        if (!workspaceId.Equals(tenant.WorkspaceId, StringComparison.OrdinalIgnoreCase))
            return Error(404, "WorkspaceNotFoundError", $"The workspace {workspaceId} could not be found.");
        string query;
        try
        {
            using var doc = JsonDocument.Parse(body);
            query = doc.RootElement.GetProperty("query").GetString() ?? "";
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Error(400, "BadArgumentError", "The request had some invalid properties: 'query' is required.");
        }

        var now = time.GetUtcNow();
        // Line breaks and indentation are KQL whitespace: the shapes are matched on the query with each run of it one space.
        var shape = Whitespace().Replace(query, " ").Trim();
        CannedTable table;
        if (IncrementQuery().Match(shape) is { Success: true } inc)
            table = Increments(Date(inc.Groups["from"].Value), Date(inc.Groups["to"].Value), DurationBuckets(inc), now);
        else if (WindowQuery().Match(shape) is { Success: true } win)
            table = Window(Date(win.Groups["lookback"].Value), Date(win.Groups["window"].Value), now);
        else if (CurrentCyclesQuery().Match(shape) is { Success: true } cyc)
            table = CurrentCycles(Date(cyc.Groups["lookback"].Value), Date(cyc.Groups["active"].Value), now);
        else if (canned.TryGetValue(query.Trim(), out var c))
            table = c;
        else
            return Error(400, "BadArgumentError",
                "The simulator does not understand this query shape (see LogAnalyticsApi for the shapes it answers).");

        return GraphResponse.Json(GraphResponse.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("tables");
            w.WriteStartObject();
            w.WriteString("name", "PrimaryResult");
            w.WriteStartArray("columns");
            foreach (var (name, type) in table.Columns)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("type", type);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("rows");
            var rows = partial ? table.Rows.Take(table.Rows.Count / 2) : table.Rows;
            foreach (var row in rows)
            {
                w.WriteStartArray();
                foreach (var cell in row) WriteCell(w, cell);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            if (partial)
            {
                w.WriteStartObject("error");
                w.WriteString("code", "PartialError");
                w.WriteString("message", "There were some errors when processing your query.");
                w.WriteStartArray("details");
                w.WriteStartObject();
                w.WriteString("code", "EngineError");
                w.WriteString("message", "Something went wrong processing your query on the server.");
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }));
    }

    /// <summary>The query's case() of DurationMs as a function: -2 when negative or over its maximum, else its bucket's number.</summary>
    private static Func<long, long> DurationBuckets(Match query)
    {
        var max = long.Parse(query.Groups["max"].Value, CultureInfo.InvariantCulture);
        var bounds = Bound().Matches(query.Groups["bounds"].Value)
            .Select(m => (Ms: long.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture),
                Bucket: long.Parse(m.Groups["bucket"].Value, CultureInfo.InvariantCulture)))
            .ToList();
        var last = long.Parse(query.Groups["last"].Value, CultureInfo.InvariantCulture);
        return ms => ms < 0 || ms > max ? -2 : bounds.FirstOrDefault(b => ms <= b.Ms, (0, last)).Bucket;
    }

    /// <summary>
    /// Events ingested in (from, to] (and by now), counted by job, action, result, error code, initiator, identity type,
    /// failing step and duration bucket, with their summed durations.
    /// </summary>
    private CannedTable Increments(DateTimeOffset from, DateTimeOffset to, Func<long, long> bucketOf, DateTimeOffset now)
    {
        var rows = tenant.Events(from - EventScript.MaxIngestionDelay, to)
            .Where(e => e.IngestionTime > from && e.IngestionTime <= to && e.IngestionTime <= now)
            .GroupBy(e => (e.JobId, e.ServicePrincipalId, Action: TableCase(e.Action), Result: TableCase(e.Status),
                Signature: e.ErrorCode ?? "None",
                e.Initiator, e.IdentityType, FailedStep: e.FailedStep ?? "", Bucket: bucketOf(e.DurationMs)))
            .OrderBy(g => g.Key.JobId, StringComparer.Ordinal).ThenBy(g => g.Key.Action, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Result, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Signature, StringComparer.Ordinal).ThenBy(g => g.Key.Initiator, StringComparer.Ordinal)
            .ThenBy(g => g.Key.IdentityType, StringComparer.Ordinal).ThenBy(g => g.Key.FailedStep, StringComparer.Ordinal)
                .ThenBy(g => g.Key.Bucket)
            .Select(g => new object?[]
            {
                g.Key.JobId, g.Key.ServicePrincipalId, g.Key.Action, g.Key.Result, g.Key.Signature, g.Key.Initiator, g.Key.IdentityType,
                    g.Key.FailedStep,
                g.Key.Bucket, (long)g.Count(), g.Sum(e => (long)e.DurationMs),
            })
            .ToList();
        return new CannedTable([("JobId", "string"), ("ServicePrincipalId", "string"), ("ProvisioningAction", "string"),
            ("ResultType", "string"),
            ("ResultSignature", "string"), ("InitiatorType", "string"), ("IdentityType", "string"), ("FailedStep", "string"),
            ("DurationBucket", "long"), ("Events", "long"), ("TotalDurationMs", "long")], rows);
    }

    /// <summary>Per job: the latest event since the lookback, and events per result since the window start (ingested by now).</summary>
    private CannedTable Window(DateTimeOffset lookback, DateTimeOffset windowStart, DateTimeOffset now)
    {
        var inWindow = tenant.Events(windowStart, now).Where(e => e.IngestionTime <= now)
            .GroupBy(e => (e.JobId, e.ServicePrincipalId)).ToDictionary(g => g.Key, g => g.ToList());
        var rows = new List<object?[]>();
        foreach (var sp in tenant.ServicePrincipals)
        {
            foreach (var job in sp.Jobs.Where(j => j.Events is not null))
            {
                var last = job.Events!.LastEvent(tenant.TenantId, sp.Id, sp.DisplayName, job.Id, lookback, now, now);
                if (last is null) continue;
                var events = inWindow.GetValueOrDefault((job.Id, sp.Id)) ?? [];
                long Count(string status) => events.Count(e => e.Status == status);
                rows.Add([job.Id, sp.Id, last.Value, Count("success"), Count("failure"), Count("skipped"), Count("warning")]);
            }
        }
        return new CannedTable([("JobId", "string"), ("ServicePrincipalId", "string"), ("LastEvent", "datetime"), ("Success", "long"),
            ("Failure", "long"), ("Skipped", "long"), ("Warning", "long")], rows);
    }

    /// <summary>
    /// Per job: its current cycle (that of its latest event after <paramref name="activeSince"/>) and its deprovisioning counts.
    /// </summary>
    private CannedTable CurrentCycles(DateTimeOffset lookback, DateTimeOffset activeSince, DateTimeOffset now)
    {
        var rows = new List<object?[]>();
        foreach (var sp in tenant.ServicePrincipals)
        {
            foreach (var job in sp.Jobs.Where(j => j.Events is not null))
            {
                var events = job.Events!.CurrentCycle(tenant.TenantId, sp.Id, sp.DisplayName, job.Id, activeSince, now)
                    .Where(e => e.ActivityDateTime > lookback).ToList();
                if (events.Count == 0) continue;
                long Count(string action, bool skippedToo)
                    => events.Count(e => e.Action == action && (skippedToo || e.Status != "skipped"));
                rows.Add([job.Id, sp.Id, events.Max(e => e.ActivityDateTime), events[0].CycleId, events.Min(e => e.ActivityDateTime),
                    Count("delete", false), Count("disable", false), Count("stageddelete", true)]);
            }
        }
        return new CannedTable([("JobId", "string"), ("ServicePrincipalId", "string"), ("LastEvent", "datetime"), ("CycleId", "string"),
            ("CycleStart", "datetime"),
            ("Deletes", "long"), ("Disables", "long"), ("StagedDeletes", "long")], rows);
    }

    /// <summary>The table's spelling: "stageddelete" → "StagedDelete", "success" → "Success".</summary>
    public static string TableCase(string value) => value switch
    {
        "stageddelete" => "StagedDelete",
        _ => char.ToUpperInvariant(value[0]) + value[1..],
    };

    private static DateTimeOffset Date(string literal) =>
        DateTimeOffset.Parse(literal.Trim(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static void WriteCell(Utf8JsonWriter w, object? cell)
    {
        switch (cell)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case long l: w.WriteNumberValue(l); break;
            case int i: w.WriteNumberValue(i); break;
            case double d: w.WriteNumberValue(d); break;
            case bool b: w.WriteBooleanValue(b); break;
            case DateTimeOffset t: w.WriteStringValue(t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ",
                CultureInfo.InvariantCulture)); break;
            default: w.WriteStringValue(Convert.ToString(cell, CultureInfo.InvariantCulture)); break;
        }
    }

    private static GraphResponse Error(int status, string code, string message) =>
        new(status, GraphResponse.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
            w.WriteEndObject();
        }), GraphResponse.Empty);
}
