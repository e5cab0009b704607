using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Graph;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// The fault table of docs/operations.md ("One bad object drops only itself"), row by row, over real HTTP against both
/// builds. Every row is its own simulated tenant with its own faults, all polled by one exporter process. Each row says
/// exactly what is dropped (which jobs, which counter reason, which object the log names once) and everything else must
/// stay: the other jobs of the tenant with the values they had before the fault, the source up, no internal error; the
/// whole scrape passes promtool.
/// </summary>
[LongRunning, Collection(nameof(DroppedObjectsFaultTests)), CollectionDefinition(nameof(DroppedObjectsFaultTests))]
public class DroppedObjectsFaultTests
{
    /// <summary>A tenant's data as the row's faults are built from it.</summary>
    public sealed record Tenant(SimulatedTenant Scenario, GraphApi Api, string BaseUrl, DateTimeOffset Now)
    {
        public SimulatedServicePrincipal Sp(string name) => Scenario.ServicePrincipals.Single(sp => sp.DisplayName == name);
        public SimulatedServicePrincipal Slack => Sp("Slack");
        public SimulatedServicePrincipal Fabrikam => Sp("Fabrikam cross-tenant sync");
        public string SecondFabrikamJob => Fabrikam.Jobs[1].Id;

        public string JobsPath(SimulatedServicePrincipal sp) => $"/servicePrincipals/{sp.Id}/synchronization/jobs";

        /// <summary>The service principal's jobs list as the simulator answers it now, for a row to change.</summary>
        public JsonObject JobsOf(SimulatedServicePrincipal sp)
            => JsonNode.Parse(Api.Get(BaseUrl, JobsPath(sp), new Dictionary<string, string>()).Body)!.AsObject();

        public JsonObject ServicePrincipalList() =>
            JsonNode.Parse(Api.Get(BaseUrl, "/servicePrincipals", new Dictionary<string,
                string> { ["$select"] = "id,displayName", ["$top"] = "999" }).Body)!.AsObject();

        public JsonObject SpEntry(JsonObject list, SimulatedServicePrincipal sp) => list["value"]!.AsArray().Select(e => e!.AsObject())
            .Single(e => (string?)e["id"] == sp.Id);
    }

    /// <summary>
    /// One row. Faults for its tenant; the counter reason it must move (null: nothing may be dropped); the jobs that must be
    /// gone; the object id its one warning names; what else must hold (null when it does, else what is wrong).
    /// </summary>
    public sealed record Row(string Name, string Source, Func<Tenant, FaultRule[]> Faults, string? Reason = null,
        Func<Tenant, string[]>? DroppedJobs = null, Func<Tenant, string>? LoggedId = null, Func<Tenant, Result, string?>? Check = null,
        bool NamesChange = false, Func<Tenant, string[]>? AddedJobs = null)
    {
        public override string ToString() => Name;
    }

    /// <summary>What the row's tenant looked like before its faults, and after.</summary>
    public sealed record Result(IReadOnlyList<MetricsText.Sample> Before, IReadOnlyList<MetricsText.Sample> After,
        SimulatorServer Simulator, double Cycles)
    {
        public IEnumerable<MetricsText.Sample> Job(string family, string jobId) => After.Named(family)
            .Where(s => s.Labels.GetValueOrDefault("job_id") == jobId);
    }

    private const string Unreadable = "unreadable", Invalid = "invalid", IdTooLong = "id_too_long", BadValue = "bad_value",
        OutOfWindow = "out_of_window", Future = "future", PageBudget = "page_budget";

    private static readonly string[] Reasons = [Unreadable, Invalid, IdTooLong, BadValue, OutOfWindow, Future, PageBudget];

    private static FaultRule BatchBody(Tenant t, SimulatedServicePrincipal sp, string body) =>
        new() { Kind = FaultKind.Body, TopLevel = false, PathPattern = $"^{t.JobsPath(sp)}$", Body = body };

    private static FaultRule ListBody(string body) =>
        new() { Kind = FaultKind.Body, InBatch = false, PathPattern = "^/servicePrincipals\\?", Body = body };

    /// <summary>Fabrikam's jobs with its second job changed.</summary>
    private static string SecondJob(Tenant t, Action<JsonObject> change)
    {
        var jobs = t.JobsOf(t.Fabrikam);
        change(jobs["value"]![1]!.AsObject());
        return jobs.ToJsonString();
    }

    /// <summary>The service principal list with Slack's entry changed.</summary>
    private static string SlackEntry(Tenant t, Action<JsonObject> change)
    {
        var list = t.ServicePrincipalList();
        change(t.SpEntry(list, t.Slack));
        return list.ToJsonString();
    }

    /// <summary>A JSON text with the placeholder replaced by raw text (escapes, U+FFFF) that JsonNode would re-encode.</summary>
    private static string Raw(string json, string placeholder, string raw) => json.Replace(placeholder, raw, StringComparison.Ordinal);

    private static string? Expect(bool ok, string what) => ok ? null : what;

    private static string Throttle(Tenant t) => t.JobsPath(t.Slack) + "$";

    private static string Rfc1123(DateTimeOffset at) => at.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);

    private static string Event(string id, DateTimeOffset at, string jobId, string spId) =>
        new JsonObject
        {
            ["id"] = id, ["activityDateTime"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["jobId"] = jobId, ["changeId"] = id,
            ["provisioningAction"] = "create", ["servicePrincipal"] = new JsonObject { ["id"] = spId, ["displayName"] = "Slack" },
            ["provisioningStatusInfo"] = new JsonObject { ["status"] = "success" },
        }.ToJsonString();

    /// <summary>
    /// A provisioning log page of a good event of Slack's job (1.5 s long) and one of Fabrikam's first job changed as given.
    /// </summary>
    private static string Events(Tenant t, Action<JsonObject> change)
    {
        var page = JsonNode.Parse(Events(t, t.Now.AddSeconds(-1)))!;
        page["value"]![0]!["durationInMilliseconds"] = 1500;
        change(page["value"]![1]!.AsObject());
        return page.ToJsonString();
    }

    /// <summary>
    /// A provisioning log page: one believable event of Slack's job and one dated <paramref name="bad"/> of Fabrikam's first job.
    /// </summary>
    private static string Events(Tenant t, DateTimeOffset bad) =>
        $"{{\"value\":[{Event("good-event", t.Now.AddSeconds(-1), t.Slack.Jobs[0].Id, t.Slack.Id)},"
            + $"{Event("bad-event", bad, t.Fabrikam.Jobs[0].Id, t.Fabrikam.Id)}]}}";

    private static readonly string[] TableColumns = ["JobId", "ServicePrincipalId", "ProvisioningAction", "ResultType", "ResultSignature",
        "InitiatorType", "IdentityType", "FailedStep", "DurationBucket", "Events", "TotalDurationMs", "Success", "Failure", "Skipped",
            "Warning", "LastEvent", "CycleId", "CycleStart", "Deletes", "Disables", "StagedDeletes"];

    /// <summary>
    /// One table every Log Analytics query of the exporter can read: a good row for Slack's job and the row given for Fabrikam's.
    /// </summary>
    private static string Table(Tenant t, long badEvents, DateTimeOffset badLast, long badBucket = -1)
    {
        string Type(string c) => c is "LastEvent" or "CycleStart" ? "datetime" : c
            is "DurationBucket" or "Events" or "TotalDurationMs" or "Success" or "Failure" or "Skipped" or "Warning" or "Deletes"
                or "Disables" or "StagedDeletes" ? "long" : "string";
        string Row(SimulatedServicePrincipal sp, long events, DateTimeOffset last, long bucket = -1) =>
            $"[\"{sp.Jobs[0].Id}\",\"{sp.Id}\",\"Create\",\"Success\",\"None\",\"system\",\"User\",\"\",{bucket},{events},0,2,0,0,"
                + $"0,\"{last:O}\",null,null,0,0,0]";
        return $"{{\"tables\":[{{\"name\":\"PrimaryResult\","
            + $"\"columns\":[{string.Join(",", TableColumns.Select(c => $"{{\"name\":\"{c}\",\"type\":\"{Type(c)}\"}}"))}],"
            + $"\"rows\":[{Row(t.Slack, 2, t.Now.AddMinutes(-1))},{Row(t.Fabrikam, badEvents, badLast, badBucket)}]}}]}}";
    }

    private static FaultRule Workspace(string body)
        => new() { Kind = FaultKind.Body, InBatch = false, PathPattern = "^/workspaces/", Body = body };

    private static readonly DateTimeOffset Y2099 = new(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static IReadOnlyList<Row> Table() =>
    [
        // --- strings ---
        new("a lone surrogate escape in a service principal's name (list)", "graph_jobs",
            t => [ListBody(Raw(SlackEntry(t, e => e["displayName"] = "@@"), "@@", "Sla\\ud800ck"))], NamesChange: true,
            Check: (t, r) => Expect(r.Job("entra_provisioning_job_info", t.Slack.Jobs[0].Id).Single().Labels["app_name"] == "Sla\ufffdck",
                "app_name is not Sla\ufffdck")),
        new("a lone surrogate escape in a job's template id ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Fabrikam, Raw(SecondJob(t, j => j["templateId"] = "@@"), "@@", "Azure\\udc00"))], NamesChange: true,
            Check: (t, r) => Expect(r.Job("entra_provisioning_job_info", t.SecondFabrikamJob).Single()
                .Labels["template_id"] == "Azure\ufffd", "template_id is not Azure\ufffd")),
        new("bytes that are not UTF-8 in a job ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Fabrikam, Raw(SecondJob(t, j => j["templateId"] = "@@"), "@@", "Azure\uffff"))], NamesChange: true,
            Check: (t, r) => Expect(r.Job("entra_provisioning_job_info", t.SecondFabrikamJob).Single()
                .Labels["template_id"] == "Azure\ufffd", "template_id is not Azure\ufffd")),
        new("bytes that are not UTF-8 in a service principal's name (list)", "graph_jobs",
            t => [ListBody(Raw(SlackEntry(t, e => e["displayName"] = "@@"), "@@", "Sla\uffffck"))], NamesChange: true,
            Check: (t, r) => Expect(r.Job("entra_provisioning_job_info", t.Slack.Jobs[0].Id).Single().Labels["app_name"] == "Sla\ufffdck",
                "app_name is not Sla\ufffdck")),
        new("a job without an id ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Fabrikam, SecondJob(t, j => j.Remove("id")))], Invalid, t => [t.SecondFabrikamJob], t => t.Fabrikam.Id),

        // --- nesting ---
        new("one service principal's jobs nested 10,000 deep ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Slack, $"{{\"value\":{new string('[', 10_000)}{new string(']', 10_000)}}}")], Unreadable,
                t => [t.Slack.Jobs[0].Id], t => t.Slack.Id),
        new("one job nested 10,000 deep drops its service principal's jobs ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Fabrikam,
                Raw(SecondJob(t, j => j["x"] = "@@"), "\"@@\"", new string('[', 10_000) + new string(']', 10_000)))],
            Unreadable, t => [.. t.Fabrikam.Jobs.Select(j => j.Id)], t => t.Fabrikam.Id),
        new("a jobs list that is not a list ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Slack, "{\"value\":{}}")], Unreadable, t => [t.Slack.Jobs[0].Id], t => t.Slack.Id),
        new("a jobs answer that is not JSON ($batch)", "graph_jobs",
            t => [new FaultRule { Kind = FaultKind.NotJson, TopLevel = false, PathPattern = $"^{t.JobsPath(t.Slack)}$" }], Unreadable,
                t => [t.Slack.Jobs[0].Id], t => t.Slack.Id),

        // --- numbers ---
        new("negative counts in a job ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Fabrikam, SecondJob(t, j =>
            {
                j["status"]!["countSuccessiveCompleteFailures"] = -3;
                j["status"]!["lastExecution"]!["countEscrowed"] = -5;
            }))],
            Check: (t, r) => Expect(!r.Job("entra_provisioning_job_successive_complete_failures", t.SecondFabrikamJob).Any()
                && !r.After.Any(s => s.Labels.GetValueOrDefault("job_id") == t.SecondFabrikamJob && s.Value < 0),
                    "a negative count was served")),
        new("counts that are not numbers or too large for one ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Fabrikam,
                Raw(SecondJob(t, j => j["status"]!["countSuccessiveCompleteFailures"] = "@@"), "\"@@\"", "1e300"))],
            Check: (t, r) => Expect(!r.Job("entra_provisioning_job_successive_complete_failures", t.SecondFabrikamJob).Any()
                && r.Job("entra_provisioning_job_last_execution_state", t.SecondFabrikamJob).Any(),
                    "1e300 was served, or the job lost its other values")),
        new("timestamps before 1970 ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Fabrikam, SecondJob(t, j => j["status"]!["lastExecution"]!["timeBegan"] = "1969-07-20T20:17:00Z"))],
            Check: (t, r) => Expect(!r.Job("entra_provisioning_job_last_execution_start_timestamp_seconds", t.SecondFabrikamJob).Any()
                && r.Job("entra_provisioning_job_last_execution_end_timestamp_seconds", t.SecondFabrikamJob).Single().Value > 0,
                    "a time before 1970 was served")),

        // --- headers ---
        new("429 with Retry-After: -5 on the $batch", "graph_jobs",
            _ => [new FaultRule { Kind = FaultKind.Throttle, InBatch = false, PathPattern = "^/\\$batch$", RetryAfter = "-5", Times = 1 }],
            Check: (t, r) => Expect(r.After.Named("entra_exporter_graph_throttled_requests_total")
                .SingleOrDefault(s => s.Labels["tenant_id"] == t.Scenario.TenantId
                && s.Labels["source"] == "graph_jobs" && s.Labels["scope"] == "Tenant_Application" && s.Labels["limit"] == "Read"
                && s.Labels["reason"] == "ResourceUnitLimitExceeded")?.Value == 1,
                    "the 429 is not counted once by its x-ms-throttle-scope and -information")),
        new("an x-ms-throttle-limit-percentage that is not a number", "graph_jobs",
            t =>
            {
                t.Scenario.ThrottleLimitPercentage = "a lot";
                return [];
            }, BadValue, LoggedId: _ => "x-ms-throttle-limit-percentage",
            Check: (t, r) => Expect(r.After.Named("entra_exporter_graph_throttle_limit_ratio")
                .Single(s => s.Labels["tenant_id"] == t.Scenario.TenantId && s.Labels["source"] == "graph_jobs").Value == 0
                && r.After.Named("entra_exporter_graph_resource_units")
                    .Single(s => s.Labels["tenant_id"] == t.Scenario.TenantId && s.Labels["source"] == "graph_jobs").Value > 0,
                "the unreadable percentage was not left out (ratio 0), or the response's resource units were lost with it")),
        new("429 with Retry-After: -5 inside the $batch", "graph_jobs",
            t => [new FaultRule { Kind = FaultKind.Throttle, TopLevel = false, PathPattern = Throttle(t), RetryAfter = "-5", Times = 1 }]),
        new("429 with Retry-After: garbage inside the $batch", "graph_jobs",
            t => [new FaultRule { Kind = FaultKind.Throttle, TopLevel = false, PathPattern = Throttle(t), RetryAfter = "soon, maybe",
                Times = 1 }]),
        new("429 with Retry-After: a date in the past on the $batch", "graph_jobs",
            _ => [new FaultRule { Kind = FaultKind.Throttle, InBatch = false, PathPattern = "^/\\$batch$",
                RetryAfter = "Wed, 21 Oct 2015 07:28:00 GMT", Times = 1 }]),
        new("429 with Retry-After: a date 2 s ahead inside the $batch", "graph_jobs",
            t => [new FaultRule { Kind = FaultKind.Throttle, TopLevel = false, PathPattern = Throttle(t),
                RetryAfter = Rfc1123(t.Now.AddSeconds(2)), Times = 1 }]),

        // --- paging ---
        new("a jobs list with a second page (next link inside the $batch)", "graph_jobs",
            t =>
            [
                new FaultRule { Kind = FaultKind.NextLink, TopLevel = false, PathPattern = $"^{t.JobsPath(t.Slack)}$",
                    NextLink = $"{t.JobsPath(t.Slack)}?$skiptoken=page2" },
                new FaultRule { Kind = FaultKind.Body, InBatch = false, PathPattern = "skiptoken=page2",
                    Body = "{\"value\":[{\"id\":\"slack.page2\",\"templateId\":\"slack\",\"status\":{\"code\":\"Active\"}}]}" },
            ], AddedJobs: _ => ["slack.page2"]),
        new("a jobs list whose next link never ends", "graph_jobs",
            t => [new FaultRule { Kind = FaultKind.EndlessNextLink, PathPattern = $"^{t.JobsPath(t.Slack)}" }], PageBudget,
                LoggedId: t => t.Slack.Id,
            Check: (t, r) => Expect(r.Simulator.Requests.Snapshot()
                .Count(q => q.TenantId == t.Scenario.TenantId
                && q.PathAndQuery.Contains(FaultResponses.EndlessToken, StringComparison.Ordinal))
                <= 200 * (r.Cycles + 1), "more than the page budget of requests per cycle")),
        new("a service principal list whose next link never ends", "graph_jobs",
            _ => [new FaultRule { Kind = FaultKind.EndlessNextLink, InBatch = false, PathPattern = "^/servicePrincipals\\?" }], PageBudget,
                LoggedId: _ => "servicePrincipals"),

        // --- windows ---
        new("a provisioning log event dated 2099", "graph_provisioning_logs",
            t => [new FaultRule { Kind = FaultKind.Body, InBatch = false, PathPattern = "^/auditLogs/provisioning",
                Body = Events(t, Y2099) }], Future, LoggedId: _ => "bad-event",
            Check: (t, r) => LastEventUnmoved(t, r)),
        new("a provisioning log event dated before the window asked for", "graph_provisioning_logs",
            t => [new FaultRule { Kind = FaultKind.Body, InBatch = false, PathPattern = "^/auditLogs/provisioning",
                Body = Events(t, new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero)) }],
            OutOfWindow, LoggedId: _ => "bad-event", Check: (t, r) => LastEventUnmoved(t, r)),
        new("a Log Analytics window row whose latest event is dated 2099", "loganalytics",
            t => [Workspace(Table(t, 1, Y2099))], Future, LoggedId: t => t.Fabrikam.Jobs[0].Id,
            Check: (t, r) => Expect(!r.Job("entra_provisioning_last_event_timestamp_seconds", t.Fabrikam.Jobs[0].Id).Any()
                && Math.Abs(r.Job("entra_provisioning_last_event_timestamp_seconds", t.Slack.Jobs[0].Id).Single()
                    .Value - t.Now.AddMinutes(-1).ToUnixTimeMilliseconds() / 1000.0) < 0.01,
                "the 2099 row set a last-event time, or the good row's is wrong")),
        new("a Log Analytics count row of -5 events", "loganalytics",
            t => [Workspace(Table(t, -5, t.Now.AddMinutes(-1)))], BadValue, LoggedId: t => t.Fabrikam.Jobs[0].Id,
            Check: (t, r) => Expect(!r.After.Named("entra_provisioning_events_total").Any(s => s.Value < 0)
                && r.Job("entra_provisioning_events_total", t.Slack.Jobs[0].Id)
                    .Any(s => s.Labels["status"] == "success" && s.Value >= 2 && s.Value % 2 == 0),
                "a negative count was served, or the good row was not counted")),

        new("a provisioning log event with a negative durationInMilliseconds", "graph_provisioning_logs",
            t => [new FaultRule { Kind = FaultKind.Body, InBatch = false, PathPattern = "^/auditLogs/provisioning",
                Body = Events(t, e => e["durationInMilliseconds"] = -5) }], BadValue, LoggedId: _ => "bad-event",
            Check: (t, r) => Expect(r.Job("entra_provisioning_events_total", t.Fabrikam.Jobs[0].Id)
                .Any(s => s.Labels["status"] == "success" && s.Value == 1)
                && !r.Job("entra_provisioning_timed_events_total", t.Fabrikam.Jobs[0].Id).Any()
                && r.Job("entra_provisioning_timed_event_duration_seconds_total", t.Slack.Jobs[0].Id).Single().Value == 1.5,
                "the event with the negative duration was not counted once, untimed, or the good event's 1.5 s is not its sum")),
        new("a provisioning log event whose initiator and failed step are of types Graph does not document", "graph_provisioning_logs",
            t => [new FaultRule { Kind = FaultKind.Body, InBatch = false, PathPattern = "^/auditLogs/provisioning", Body = Events(t, e =>
            {
                e["provisioningStatusInfo"] = new JsonObject { ["status"] = "failure" };
                e["initiatedBy"] = new JsonObject { ["initiatorType"] = "robot" };
                e["sourceIdentity"] = new JsonObject { ["identityType"] = "GROUP" };
                e["provisioningSteps"] = new JsonArray(new JsonObject { ["provisioningStepType"] = "teleport", ["status"] = "failure" });
            }) }],
            Check: (t, r) => Expect(r.Job("entra_provisioning_event_step_failures_total", t.Fabrikam.Jobs[0].Id).Single() is { } step
                && step.Labels["step"] == "other" && step.Value == 1
                && r.After.Named("entra_provisioning_events_by_initiator_total")
                    .Single(s => s.Labels["tenant_id"] == t.Scenario.TenantId && s.Labels["initiator_type"] == "other").Value >= 1
                && r.After.Named("entra_provisioning_events_by_identity_type_total")
                    .Single(s => s.Labels["tenant_id"] == t.Scenario.TenantId && s.Labels["identity_type"] == "group").Value >= 1,
                "the unknown step is not one failure at step other, or the initiator is not other, or GROUP is not group")),
        new("a Log Analytics count row whose events have negative or absurd durations", "loganalytics",
            t => [Workspace(Table(t, 4, t.Now.AddMinutes(-1), badBucket: -2))], BadValue, LoggedId: t => t.Fabrikam.Jobs[0].Id,
            Check: (t, r) => Expect(r.Job("entra_provisioning_events_total", t.Fabrikam.Jobs[0].Id)
                .Any(s => s.Labels["status"] == "success" && s.Value >= 4)
                && !r.Job("entra_provisioning_timed_events_total", t.Fabrikam.Jobs[0].Id).Any(),
                    "the row's events were not counted, or were counted timed")),

        // --- sizes ---
        new("a 1 MB job id ($batch)", "graph_jobs",
            t => [BatchBody(t, t.Fabrikam, SecondJob(t, j => j["id"] = new string('j', 1_000_000)))], IdTooLong, t => [t.SecondFabrikamJob],
                _ => new string('j', 1_000_000)),
        new("a 1 MB service principal name (list)", "graph_jobs",
            t => [ListBody(SlackEntry(t, e => e["displayName"] = new string('n', 1_000_000)))], NamesChange: true,
            Check: (t, r) => Expect(r.Job("entra_provisioning_job_info", t.Slack.Jobs[0].Id).Single().Labels["app_name"] is var name
                && Encoding.UTF8.GetByteCount(name) <= 1024 && name.EndsWith("…[truncated]", StringComparison.Ordinal),
                    "the name is not cut to 1 KiB with the marker")),
        new("a 1 MB service principal id (list)", "graph_jobs",
            t =>
            {
                var list = t.ServicePrincipalList();
                list["value"]!.AsArray().Add(new JsonObject { ["id"] = new string('s', 1_000_000), ["displayName"] = "Huge" });
                return [ListBody(list.ToJsonString())];
            }, IdTooLong, LoggedId: _ => new string('s', 1_000_000)),
    ];

    /// <summary>
    /// The log rows: the believable event is counted once, the bad one not, and Fabrikam's last event is not moved to the bad one's time.
    /// </summary>
    private static string? LastEventUnmoved(Tenant t, Result r)
    {
        var before = r.Before.Named("entra_provisioning_last_event_timestamp_seconds")
            .Where(s => s.Labels["job_id"] == t.Fabrikam.Jobs[0].Id).Select(s => s.Value).SingleOrDefault();
        var after = r.Job("entra_provisioning_last_event_timestamp_seconds", t.Fabrikam.Jobs[0].Id).Select(s => s.Value).SingleOrDefault();
        var good = r.Job("entra_provisioning_events_total", t.Slack.Jobs[0].Id)
            .Where(s => s.Labels["action"] == "create" && s.Labels["status"] == "success").Sum(s => s.Value)
            - r.Before.Named("entra_provisioning_events_total")
                .Where(s => s.Labels["job_id"] == t.Slack.Jobs[0].Id && s.Labels["action"] == "create" && s.Labels["status"] == "success")
                .Sum(s => s.Value);
        return Expect(after == before && good == 1, $"Fabrikam's last event {before} -> {after}; Slack's good event counted {good} times");
    }

    [Fact]
    public void The_table_has_at_least_20_rows_across_every_kind_of_fault_and_every_reason_but_one_in_use()
    {
        var rows = Table();
        Assert.True(rows.Count >= 20);
        Assert.Equal(rows.Count, rows.Select(r => r.Name).Distinct().Count());
        // Every reason a row can show is shown by one (bad_value on Graph jobs is a value, not an object: it drops only the value).
        Assert.Empty(Reasons.Except(rows.Select(r => r.Reason).OfType<string>()));
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Each_fault_drops_exactly_what_its_row_says_and_nothing_else(string build)
    {
        var rows = Table();
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        var scenarios = rows.Select(r => DemoScenario.Create(time.GetUtcNow(), SimulatedTenant.StableGuid("fault row " + r.Name),
            servicePrincipalsWithoutJobs: 2)).ToList();
        await using var simulator = await TestSimulator.StartAsync(scenarios, time); // its own free port, bound at once
        var args = new List<string>
        {
            "--urls", $"http://127.0.0.1:{Tools.FreePort()}",
            "--Exporter:PollInterval", "00:00:08", "--Exporter:DiscoveryInterval", "00:00:08",
            "--Exporter:HttpMaxRetries", "1", "--Exporter:HttpRetryDelay", "00:00:01", "--Exporter:MaxBatchRetries", "1",
            "--Exporter:Logs:IngestionSettle", "00:00:00", "--Exporter:Logs:ServerTimeout", "00:00:02",
        };
        for (var i = 0; i < rows.Count; i++)
        {
            var id = scenarios[i].TenantId;
            args.AddRange([$"--Exporter:Tenants:{i}:TenantId", id, $"--Exporter:Tenants:{i}:GraphEndpoint",
                simulator.GraphEndpoint(id).ToString(), $"--Exporter:Tenants:{i}:Credential:Kind", "None"]);
            if (rows[i].Source == "graph_provisioning_logs") args.AddRange([$"--Exporter:Tenants:{i}:Logs:Source", "Graph"]);
            if (rows[i].Source == "loganalytics")
                args.AddRange([$"--Exporter:Tenants:{i}:Logs:Source", "LogAnalytics", $"--Exporter:Tenants:{i}:Logs:WorkspaceId",
                    scenarios[i].WorkspaceId,
                    $"--Exporter:Tenants:{i}:Logs:Endpoint", simulator.LogAnalyticsEndpoint(id).ToString()]);
        }
        await using var exporter = ManagedProcess.StartExporter(args, build: ExporterBuild.Named(build));
        using var http = new HttpClient { BaseAddress = new Uri(args[1] + "/"), Timeout = TimeSpan.FromSeconds(20) };
        async Task<(string Text, IReadOnlyList<MetricsText.Sample> Samples)> Scrape()
        {
            var text = await http.GetStringAsync("metrics");
            return (text, MetricsText.Parse(text));
        }
        double Value(IReadOnlyList<MetricsText.Sample> m, string family, string tenant, string? source = null, string? reason = null) =>
            m.Named(family)
                .Where(s => s.Labels["tenant_id"] == tenant && (source is null || s.Labels["source"] == source)
                && (reason is null || s.Labels["reason"] == reason)).Sum(s => s.Value);

        // Before: every tenant's sources up, with all their jobs.
        await Tools.Eventually(async () =>
        {
            var m = (await Scrape()).Samples;
            return rows.Select((r, i) => (r, i))
                .All(x => Value(m, "entra_exporter_source_up", scenarios[x.i].TenantId) == (x.r.Source == "graph_jobs" ? 1 : 2)
                && m.Named("entra_provisioning_job_info").Count(s => s.Labels["tenant_id"] == scenarios[x.i].TenantId) == Demo.Jobs);
        }, TimeSpan.FromSeconds(120), "every tenant up with its jobs before the faults");
        var before = (await Scrape()).Samples;
        var cyclesBefore = rows.Select((r, i) => Value(before, "entra_exporter_poll_duration_seconds_count", scenarios[i].TenantId,
            r.Source)).ToList();

        var now = time.GetUtcNow();
        var tenants = scenarios.Select(s => new Tenant(s, new GraphApi(s, time),
            simulator.GraphEndpoint(s.TenantId).ToString().TrimEnd('/'), now)).ToList();
        for (var i = 0; i < rows.Count; i++)
            foreach (var fault in rows[i].Faults(tenants[i])) simulator.Faults.Add(fault with { TenantId = scenarios[i].TenantId });

        // Under the faults: each row's drop counted and three more cycles of its source done (the drops logged by then, once).
        var pending = new List<string>();
        try
        {
            await Tools.Eventually(async () =>
        {
            var m = (await Scrape()).Samples;
            pending = rows.Select((r, i) => (r, i)).Where(x =>
                !(Value(m, "entra_exporter_poll_duration_seconds_count", scenarios[x.i].TenantId, x.r.Source) >= cyclesBefore[x.i] + 3
                && (x.r.Reason is null
                    || Value(m, "entra_exporter_dropped_objects_total", scenarios[x.i].TenantId, x.r.Source, x.r.Reason) >= 1)))
                .Select(x => $"{x.r.Name} (cycles "
                    + $"{Value(m, "entra_exporter_poll_duration_seconds_count", scenarios[x.i].TenantId, x.r.Source) - cyclesBefore[x.i]}, "
                    + $"dropped {string.Join(",", m.Named("entra_exporter_dropped_objects_total")
                        .Where(s => s.Labels["tenant_id"] == scenarios[x.i].TenantId && s.Value > 0)
                        .Select(s => s.Labels["reason"] + "=" + s.Value))})")
                .ToList();
            return pending.Count == 0;
        }, TimeSpan.FromSeconds(240), "every row's drop and three cycles under the faults");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; pending: {string.Join("; ", pending)}\n{exporter.Describe()}", ex);
        }
        var (text, after) = await Scrape();

        var failures = new List<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (row, t, tenantId) = (rows[i], tenants[i], scenarios[i].TenantId);
            void Fail(string what) => failures.Add($"{row.Name}: {what}");
            foreach (var source in after.Named("entra_exporter_dropped_objects_total").Where(s => s.Labels["tenant_id"] == tenantId)
                .Select(s => s.Labels["source"]).Distinct())
                foreach (var reason in Reasons)
                {
                    var count = Value(after, "entra_exporter_dropped_objects_total", tenantId, source, reason);
                    if (source == row.Source && reason == row.Reason ? count < 1
                        : count != 0) Fail($"dropped_objects_total{{source={source},reason={reason}}} = {count}");
                }
            if (Value(after, "entra_exporter_poll_errors_total", tenantId, reason: "internal") != 0) Fail("an internal error was counted");
            if (Value(after, "entra_exporter_source_up", tenantId, row.Source) != 1) Fail($"{row.Source} is not up");

            IEnumerable<string> Jobs(IReadOnlyList<MetricsText.Sample> m) => m.Named("entra_provisioning_job_info")
                .Where(s => s.Labels["tenant_id"] == tenantId).Select(s => s.Labels["job_id"]);
            var dropped = (row.DroppedJobs?.Invoke(t) ?? []).ToHashSet();
            var expected = Jobs(before).Where(j => !dropped.Contains(j)).Concat(row.AddedJobs?.Invoke(t) ?? []).Order().ToList();
            var actual = Jobs(after).Order().ToList();
            if (!expected.SequenceEqual(actual)) Fail($"jobs served: missing [{string.Join(", ", expected.Except(actual))}], extra "
                + $"[{string.Join(", ", actual.Except(expected))}]");
            // The other jobs keep their series with their values (names may change where the row changes one).
            foreach (var family in new[] { "entra_provisioning_job_info", "entra_provisioning_job_status",
                "entra_provisioning_job_schedule_interval_seconds" })
            {
                if (family == "entra_provisioning_job_info" && row.NamesChange) continue;
                string Key(MetricsText.Sample s)
                    => string.Join(",", s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "="
                    + s.Value.ToString(CultureInfo.InvariantCulture);
                var kept = before.Named(family).Where(s => s.Labels["tenant_id"] == tenantId && !dropped.Contains(s.Labels["job_id"]))
                    .Select(Key).Order().ToList();
                var now2 = after.Named(family)
                    .Where(s => s.Labels["tenant_id"] == tenantId && !dropped.Contains(s.Labels["job_id"])
                    && !(row.AddedJobs?.Invoke(t) ?? []).Contains(s.Labels["job_id"])).Select(Key).Order().ToList();
                if (!kept.SequenceEqual(now2)) Fail($"{family} of the other jobs changed: [{string.Join("; ", kept.Except(now2).Take(3))}] "
                    + $"-> [{string.Join("; ", now2.Except(kept).Take(3))}]");
            }
            if (row.LoggedId is { } logged)
            {
                var id = logged(t);
                var shown = id.Length <= 200 ? id : id[..200] + $"…({id.Length} chars)";
                var lines = exporter.StandardOutput.Split('\n')
                    .Count(l => l.Contains(tenantId, StringComparison.Ordinal)
                    && l.Contains($"dropped {shown} ({row.Reason})", StringComparison.Ordinal));
                if (lines != 1) Fail($"the warning naming {shown[..Math.Min(40, shown.Length)]} ({row.Reason}) was "
                    + $"logged {lines} times, not once");
            }
            var cycles = Value(after, "entra_exporter_poll_duration_seconds_count", tenantId, row.Source) - cyclesBefore[i];
            if (row.Check?.Invoke(t, new Result(before, after, simulator, cycles)) is { } wrong) Fail(wrong);
        }
        // A scrape stays bounded whatever Graph sends: megabyte ids and names are not in it.
        if (text.Length > 8_000_000) failures.Add($"the scrape is {text.Length} bytes");
        var promtool = await Promtool.CheckMetricsAsync(Tools.Require("promtool"), text);
        if (!promtool.Ok) failures.Add("promtool: " + promtool.Output);
        Assert.True(failures.Count == 0, $"{build}: {failures.Count} row failure(s):\n" + string.Join("\n", failures));
    }
}
