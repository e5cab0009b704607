using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.LogAnalytics;

namespace EntraProvisioningExporter.Tests;

/// <summary>
/// Property-style fuzzing with a fixed seed (reproducible): mutated Graph and Log Analytics payloads go
/// through the real parsing and mapping. Nothing may escape but the documented exceptions for an unreadable
/// body, and every job element is either mapped or reported.
/// </summary>
public class FuzzTests
{
    private static readonly string[] GraphFixtures = ["graph/microsoft-sample-quarantined.json", "graph/unknown-enums.json", "graph/nulls-and-several-jobs.json", "graph/one-bad-job.json"];

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
                    Assert.Equal(elements, parsed.Jobs.Count + parsed.Problems.Count);
                    foreach (var job in parsed.Jobs)
                    {
                        Assert.False(string.IsNullOrEmpty(job.JobId));
                        Assert.False(string.IsNullOrEmpty(job.StatusCode));
                        Assert.True(job.ScheduleInterval is null || job.ScheduleInterval > TimeSpan.Zero);
                        Assert.True(job.LastExecution?.TimeBegan is null || job.LastExecution.TimeBegan.Value.Year > 1);
                        // Whatever the values, the metrics derived from them are numbers Prometheus can take.
                        foreach (var (_, value) in EscrowProximity.Compute(job.LastExecution, new EntraProvisioningExporter.Configuration.QuarantineOptions()))
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
        var alphabet = new[] { "\"", "\\", "\n", "\r", "\t", "{", "}", "=", ",", " ", "é", "東京", "💥", "\u0001", "\ud800", "a", "z", "0", "#", "\\n" };
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
                Quarantine = new EntraProvisioningExporter.Sources.Jobs.QuarantineState(RandomLabelValue(random), null, null, null, null, null),
            }).ToArray();
            h.Publish(jobs);
            var samples = MetricsText.Parse(h.Scrape());
            foreach (var job in jobs)
            {
                // Lone surrogates become U+FFFD in UTF-8; everything else survives exactly.
                static string Utf8(string s) => s.Replace("\ud800", "\ufffd", StringComparison.Ordinal);
                Assert.Equal(Utf8(job.AppName), samples.Named("entra_provisioning_job_info").Single(s => s.Labels["job_id"] == job.JobId).Labels["app_name"]);
                Assert.Equal(Utf8(job.Quarantine!.Reason), samples.Named("entra_provisioning_job_quarantine_reason").Single(s => s.Labels["job_id"] == job.JobId).Labels["reason"]);
            }
        }
    }
}
