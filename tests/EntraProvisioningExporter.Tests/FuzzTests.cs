using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.LogAnalytics;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests;

/// <summary>
/// Property-style fuzzing with a fixed seed (reproducible): mutated Graph and Log Analytics payloads go
/// through the real parsing and mapping. Nothing may escape but the documented exceptions for an unreadable
/// body, and every job element is either mapped or reported.
/// </summary>
public class FuzzTests
{
    private static readonly string[] GraphFixtures = ["graph/microsoft-sample-quarantined.json", "graph/unknown-enums.json",
        "graph/nulls-and-several-jobs.json", "graph/one-bad-job.json"];

    private static JsonNode? RandomValue(Random r) => r.Next(10) switch
    {
        0 => null,
        1 => JsonValue.Create(""),
        2 => JsonValue.Create("0001-01-01T00:00:00Z"),
        3 => JsonValue.Create(r.NextInt64(long.MinValue, long.MaxValue)),
        4 => JsonValue.Create(r.NextDouble() * 1e300),
        5 => JsonValue.Create(r.Next(2) == 0),
        6 => JsonValue.Create("P10675199DT2H48M5.4775807S"),
        7 => JsonValue.Create("\u0000\"\\\n💥" + r.Next()),
        8 => new JsonArray(JsonValue.Create(1), null),
        _ => new JsonObject { ["unexpected"] = JsonValue.Create(r.Next()) },
    };

    /// <summary>Replaces, removes or retypes values anywhere in the document.</summary>
    private static void Mutate(JsonNode node, Random r)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    var roll = r.Next(12);
                    if (roll == 0) o.Remove(key);
                    else if (roll == 1) o[key] = RandomValue(r);
                    else if (o[key] is { } child) Mutate(child, r);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (r.Next(12) == 0) a[i] = RandomValue(r);
                    else if (a[i] is { } child) Mutate(child, r);
                }
                break;
        }
    }

    [Fact]
    public void Mutated_job_payloads_are_mapped_or_reported_never_thrown()
    {
        var random = new Random(20261122);
        var sp = new ServicePrincipalRef("sp", "App");
        var iterations = 0;
        foreach (var fixture in GraphFixtures)
        {
            var original = JsonNode.Parse(Fixture.Read(fixture))!;
            for (var i = 0; i < 500; i++, iterations++)
            {
                var doc = original.DeepClone();
                Mutate(doc, random);
                var body = doc.ToJsonString();
                try
                {
                    var parsed = JobPayloadParser.Parse("t", sp, body);
                    var elements = doc["value"] is JsonArray arr ? arr.Count : -1;
                    // A job is kept or dropped; a value lost from a kept job (bad_value) is reported beside it.
                    var dropped = parsed.Problems.Where(p => p.DropReason != DropReason.BadValue).ToList();
                    Assert.Equal(elements, parsed.Jobs.Count + dropped.Count);
                    Assert.All(parsed.Problems.Except(dropped), p => Assert.Contains(parsed.Jobs, j => j.JobId == p.JobId));
                    foreach (var job in parsed.Jobs)
                    {
                        Assert.False(string.IsNullOrEmpty(job.JobId));
                        Assert.False(string.IsNullOrEmpty(job.StatusCode));
                        Assert.True(job.ScheduleInterval is null || job.ScheduleInterval > TimeSpan.Zero);
                        Assert.True(job.LastExecution?.TimeBegan is null || job.LastExecution.TimeBegan.Value.Year > 1);
                        // Whatever the values, the metrics derived from them are numbers Prometheus can take.
                        foreach (var (_, value) in EscrowProximity.Compute(job.LastExecution,
                            new EntraProvisioningExporter.Configuration.QuarantineOptions()))
                            Assert.False(double.IsNaN(value));
                    }
                }
                catch (JsonException)
                {
                    // a body whose "value" is not a list of jobs: the source reports bad_response
                }
            }
        }
        Assert.Equal(2000, iterations);
    }

    [Fact]
    public void Truncated_and_random_bytes_never_escape_as_anything_but_JsonException()
    {
        var random = new Random(7);
        var body = Fixture.Read("graph/microsoft-sample-quarantined.json");
        for (var cut = 0; cut < body.Length; cut += 7)
        {
            try { JobPayloadParser.Parse("t", new ServicePrincipalRef("sp", "App"), body[..cut]); }
            catch (JsonException) { }
        }
        for (var i = 0; i < 300; i++)
        {
            var bytes = new byte[random.Next(1, 200)];
            random.NextBytes(bytes);
            try { JobPayloadParser.Parse("t", new ServicePrincipalRef("sp", "App"), Encoding.UTF8.GetString(bytes)); }
            catch (JsonException) { }
        }
    }

    [Fact]
    public void Mutated_Log_Analytics_results_are_parsed_or_rejected_as_invalid_data()
    {
        var random = new Random(42);
        var original = JsonNode.Parse(Fixture.Read("loganalytics/typed-columns.json"))!;
        for (var i = 0; i < 1000; i++)
        {
            var doc = original.DeepClone();
            Mutate(doc, random);
            try
            {
                var result = LogsQueryClient.Parse(Encoding.UTF8.GetBytes(doc.ToJsonString()));
                foreach (var table in result.AllTables)
                    foreach (var row in table.Rows)
                        foreach (var column in table.Columns.Where(c => table.Ordinal(c.Name) >= 0))
                        {
                            try
                            {
                                _ = row.GetString(column.Name);
                                _ = row.GetDynamic(column.Name);
                                _ = row.GetInt64(column.Name);
                                _ = row.GetDouble(column.Name);
                                _ = row.GetDateTimeOffset(column.Name);
                            }
                            catch (InvalidDataException) { } // a cell of the wrong type: the source reports bad_response
                            catch (OverflowException) { }     // a number beyond Int64
                        }
            }
            catch (InvalidDataException) { }
            catch (JsonException) { }
        }
    }

    /// <summary>Label values with quotes, backslashes, newlines, control characters, emoji and lone surrogates.</summary>
    public static string RandomLabelValue(Random r)
    {
        var alphabet = new[] { "\"", "\\", "\n", "\r", "\t", "{", "}", "=", ",", " ", "é", "東京", "💥", "\u0001", "\ud800",
            "a", "z", "0", "#", "\\n" };
        var sb = new StringBuilder();
        for (var i = r.Next(0, 12); i > 0; i--) sb.Append(alphabet[r.Next(alphabet.Length)]);
        return sb.ToString();
    }

    [Fact]
    public void Label_values_from_the_tenant_round_trip_through_the_exposition()
    {
        // App names and quarantine reasons come from the tenant: any text, served escaped and read back intact.
        var random = new Random(99);
        var h = new Metrics.MetricsHarness();
        for (var round = 0; round < 20; round++)
        {
            var jobs = Enumerable.Range(0, 100).Select(i => Metrics.MetricsHarness.Job($"j{i}", "Quarantine") with
            {
                AppName = RandomLabelValue(random),
                Quarantine = new EntraProvisioningExporter.Sources.Jobs.QuarantineState(RandomLabelValue(random), null, null, null, null,
                    null),
            }).ToArray();
            h.Publish(jobs);
            var samples = MetricsText.Parse(h.Scrape());
            foreach (var job in jobs)
            {
                // Lone surrogates become U+FFFD in UTF-8; everything else survives exactly.
                static string Utf8(string s) => s.Replace("\ud800", "\ufffd", StringComparison.Ordinal);
                Assert.Equal(Utf8(job.AppName),
                    samples.Named("entra_provisioning_job_info").Single(s => s.Labels["job_id"] == job.JobId).Labels["app_name"]);
                Assert.Equal(Utf8(job.Quarantine!.Reason),
                    samples.Named("entra_provisioning_job_quarantine_reason").Single(s => s.Labels["job_id"] == job.JobId)
                    .Labels["reason"]);
            }
        }
    }
}

/// <summary>
/// The isolation property, fuzzed with fixed seeds: one mutated object (a job, a provisioning log event, a Log Analytics
/// row) drops at most that object; every other object reads exactly as it did unmutated.
/// </summary>
public class IsolationFuzzTests
{
    private static readonly Random Seeded = new(20261202);

    private static JsonNode Mutated(JsonNode original, Random r)
    {
        var copy = original.DeepClone();
        // Replace one value anywhere in the object (or the object itself), as FuzzTests' mutator does everywhere.
        var leaves = new List<(JsonNode Parent, object Key)>();
        void Walk(JsonNode node)
        {
            if (node is JsonObject o) foreach (var kv in o.ToList()) { leaves.Add((o, kv.Key)); if (kv.Value is { } v) Walk(v); }
            if (node is JsonArray a) for (var i = 0; i < a.Count; i++) { leaves.Add((a, i)); if (a[i] is { } v) Walk(v); }
        }
        Walk(copy);
        if (leaves.Count == 0 || r.Next(20) == 0) return JsonValue.Create(r.Next())!;
        var (parent, key) = leaves[r.Next(leaves.Count)];
        var value = Hostile(r);
        if (parent is JsonObject obj) obj[(string)key] = value;
        else ((JsonArray)parent)[(int)key] = value;
        return copy;
    }

    private static JsonNode? Hostile(Random r) => r.Next(12) switch
    {
        0 => null,
        1 => JsonValue.Create("\ud800"),
        2 => JsonValue.Create(-1),
        3 => JsonValue.Create(long.MaxValue),
        4 => JsonValue.Create("NaN"),
        5 => JsonValue.Create("1969-01-01T00:00:00Z"),
        6 => JsonValue.Create("2099-01-01T00:00:00Z"),
        7 => JsonValue.Create(new string('x', 5_000)),
        8 => JsonNode.Parse(new string('[', 50) + new string(']', 50)),
        9 => new JsonArray(JsonValue.Create(1), null),
        10 => JsonValue.Create(1e300),
        _ => new JsonObject { ["unexpected"] = JsonValue.Create(true) },
    };

    private static string Project(JobState j)
        => string.Join("|", j.JobId, j.AppName, j.TemplateId, j.StatusCode, j.ScheduleState, j.ScheduleInterval,
        j.SuccessiveCompleteFailures,
        j.Quarantine?.Reason, j.LastExecution?.State, j.LastExecution?.TimeBegan, j.LastExecution?.CountEscrowed, j.LastSuccessfulExecution,
            j.DeleteThreshold,
        string.Join(",", j.SynchronizedEntries.Select(e => $"{e.Key}={e.Value}")),
            string.Join(",", j.Progress.Select(p => $"{p.Units}={p.Completed}/{p.Total}")));

    [Fact]
    public void One_mutated_job_drops_at_most_that_job()
    {
        var sp = new ServicePrincipalRef("sp", "App");
        var page = JsonNode.Parse(Fixture.Read("graph/nulls-and-several-jobs.json"))!;
        var jobs = page["value"]!.AsArray();
        // Several jobs from several fixtures, ids made distinct, so every other job has something to lose.
        foreach (var extra in new[] { "graph/microsoft-sample-quarantined.json", "graph/unknown-enums.json" })
            foreach (var j in JsonNode.Parse(Fixture.Read(extra))!["value"]!.AsArray()) jobs.Add(j!.DeepClone());
        for (var i = 0; i < jobs.Count; i++) jobs[i]!["id"] = $"job-{i}";
        var clean = JobPayloadParser.Parse("t", sp, page.ToJsonString()).Jobs.ToDictionary(j => j.JobId, Project);
        Assert.Equal(jobs.Count, clean.Count);
        for (var round = 0; round < 1_000; round++)
        {
            var victim = Seeded.Next(jobs.Count);
            var doc = page.DeepClone();
            doc["value"]![victim] = Mutated(jobs[victim]!, Seeded);
            var parsed = JobPayloadParser.Parse("t", sp, doc.ToJsonString());
            Assert.True(parsed.Problems.Count <= 1, $"round {round}: {parsed.Problems.Count} problems");
            // Every job but the victim is there and reads as it did; the victim is there (perhaps under another id) or dropped with a
            // reason.
            var others = parsed.Jobs.Where(j => j.JobId != $"job-{victim}" && clean.ContainsKey(j.JobId)).ToList();
            foreach (var job in others) Assert.Equal(clean[job.JobId], Project(job));
            Assert.Equal(clean.Keys.Where(k => k != $"job-{victim}").Order(), others.Select(j => j.JobId).Order());
            Assert.True(parsed.Jobs.Count + parsed.Problems.Count >= jobs.Count, $"round {round}: an object vanished without a problem");
        }
    }

    private static string Event(int i) =>
        "{\"id\":\"event-" + i + "\",\"activityDateTime\":\"2026-12-02T11:"
            + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture) + ":00Z\",\"jobId\":\"job-" + (i % 3)
        + "\",\"cycleId\":\"c1\",\"changeId\":\"x\","
        + "\"servicePrincipal\":{\"id\":\"sp-1\",\"displayName\":\"App\"},\"provisioningAction\":\"" + (i % 2 == 0 ? "create" : "delete")
        + "\",\"provisioningStatusInfo\":{\"status\":\"" + (i % 4 == 0 ? "failure" : "success")
            + "\",\"errorInformation\":{\"errorCode\":\"E" + i + "\"}},"
        + "\"sourceIdentity\":{\"id\":\"s" + i + "\",\"displayName\":\"User " + i + "\"},\"targetIdentity\":{\"id\":\"t" + i + "\"}}";

    private static string Project(Microsoft.Graph.Models.ProvisioningObjectSummary e) =>
        string.Join("|", e.Id, e.ActivityDateTime, e.JobId, e.CycleId, e.ServicePrincipal?.Id, e.ProvisioningAction,
            e.ProvisioningStatusInfo?.Status, e.ProvisioningStatusInfo?.ErrorInformation?.ErrorCode);

    [Fact]
    public void One_mutated_provisioning_log_event_drops_at_most_that_event()
    {
        var events = Enumerable.Range(0, 12).Select(i => JsonNode.Parse(Event(i))!).ToList();
        var clean = events.Select(e =>
        {
            using var d = JsonDocument.Parse(e.ToJsonString());
            return Project(GraphLogSource.ReadEvent(d.RootElement, out _)!);
        }).ToList();
        for (var round = 0; round < 1_000; round++)
        {
            var victim = Seeded.Next(events.Count);
            var page = new JsonArray([.. events.Select((e, i) => i == victim ? Mutated(e, Seeded) : e.DeepClone())]);
            using var doc = JsonDocument.Parse(new JsonObject { ["value"] = page }.ToJsonString());
            var i = 0;
            foreach (var element in doc.RootElement.GetProperty("value").EnumerateArray())
            {
                var read = GraphLogSource.ReadEvent(element, out var problem);
                if (i != victim)
                    Assert.Equal(clean[i], read is null ? problem : Project(read));
                else
                    Assert.True(read is not null || problem is not null);
                i++;
            }
        }
    }

    [Fact]
    public void One_mutated_Log_Analytics_row_drops_at_most_that_row()
    {
        var columns = new JsonArray([.. new[] { "JobId", "ServicePrincipalId", "ProvisioningAction", "ResultType", "ResultSignature",
            "InitiatorType", "IdentityType", "FailedStep" }
            .Select(c => (JsonNode)new JsonObject { ["name"] = c, ["type"] = "string" }),
            .. new[] { "DurationBucket", "Events",
                "TotalDurationMs" }.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["type"] = "long" })]).ToJsonString();
        var rows = Enumerable.Range(0, 8).Select(i => JsonNode.Parse(
            $"[\"job-{i}\",\"sp-1\",\"Create\",\"{(i % 2 == 0 ? "Failure" : "Success")}\",\"E{i}\",\"system\",\"User\","
                + $"\"export\",0,{i + 1},{50 * (i + 1)}]")!).ToList();
        static IReadOnlyList<string> Counted(LogCounters c) => c.Totals.Events.Select(e => $"{e.Job.JobId}:{e.Action}:{e.Status}={e.Count}")
            .ToList();
        for (var round = 0; round < 1_000; round++)
        {
            var victim = Seeded.Next(rows.Count);
            var table = new JsonArray([.. rows.Select((r, i) => i == victim ? Mutated(r, Seeded) : r.DeepClone())]);
            var json = $"{{\"tables\":[{{\"name\":\"PrimaryResult\",\"columns\":{columns},\"rows\":{table.ToJsonString()}}}]}}";
            LogsTable parsed;
            try
            {
                parsed = LogsQueryClient.Parse(Encoding.UTF8.GetBytes(json)).Table;
            }
            catch (InvalidDataException)
            {
                continue; // the mutated row is no longer a row of six cells: the whole table's shape is wrong, as documented
            }
            var counters = new LogCounters(100);
            var dropped = new List<(string Reason, string? Id, string Detail)>();
            EntraProvisioningExporter.Sources.Logs.LogAnalyticsRows.Increments("t", parsed, counters, dropped);
            counters.Commit();
            Assert.True(dropped.Count <= 1);
            var others = Counted(counters)
                .Where(c => c.StartsWith("job-", StringComparison.Ordinal) && !c.StartsWith($"job-{victim}:", StringComparison.Ordinal))
                .ToList();
            Assert.Equal(Enumerable.Range(0, rows.Count).Where(i => i != victim)
                .Select(i => $"job-{i}:create:{(i % 2 == 0 ? "failure" : "success")}={i + 1}").Order(), others.Order());
        }
    }
}
