using System.Text.Json;
using System.Text.Json.Nodes;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>One query for tools/kql-check: its name, text and, for a custom query, the columns the exporter reads.</summary>
public sealed record KqlQuery(string Name, string Query, string? ValueColumn = null, IReadOnlyList<string>? LabelColumns = null);

/// <summary>What Microsoft's Kusto language service said of one query.</summary>
public sealed record KqlResult(string Name, bool Valid, IReadOnlyList<string> Problems, IReadOnlyList<string> Columns)
{
    public override string ToString()
        => $"{Name}: {(Valid ? "valid" : "INVALID")} {string.Join("; ", Problems)} -> ({string.Join(", ", Columns)})";
}

/// <summary>
/// tools/kql-check (node, @kusto/language-service-next) run on queries: parse and type-check against the documented
/// AADProvisioningLogs schema. The README's test command installs its package (npm ci); missing, it fails.
/// </summary>
public static class KqlCheck
{
    public static string Directory => Repo.Path("tools", "kql-check");

    public static async Task<IReadOnlyList<KqlResult>> RunAsync(IReadOnlyList<KqlQuery> queries)
    {
        var node = Tools.Require("node");
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@kusto", "language-service-next")))
            throw new InvalidOperationException("tools/kql-check has no node_modules: run tests/run-all.sh, which runs 'npm ci' there.");
        var input = Path.GetTempFileName();
        try
        {
            var json = new JsonArray(queries.Select(q => (JsonNode)new JsonObject
            {
                ["name"] = q.Name,
                ["query"] = q.Query,
                ["valueColumn"] = q.ValueColumn,
                ["labelColumns"] = new JsonArray((q.LabelColumns ?? []).Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
            }).ToArray());
            await File.WriteAllTextAsync(input, json.ToJsonString());
            await using var run = ManagedProcess.Start(node, [Path.Combine(Directory, "kql-check.js"), "--queries", input, "--json"]);
            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));
            if (exit is not (0 or 1)) throw new InvalidOperationException($"kql-check failed to run: {run.Describe()}");
            using var report = JsonDocument.Parse(run.StandardOutput);
            return report.RootElement.GetProperty("results").EnumerateArray().Select(r => new KqlResult(
                r.GetProperty("name").GetString()!,
                r.GetProperty("valid").GetBoolean(),
                r.GetProperty("problems").EnumerateArray()
                    .Select(p => $"{p.GetProperty("severity").GetString()} {p.GetProperty("code").GetString()}: "
                        + $"{p.GetProperty("message").GetString()}").ToList(),
                r.GetProperty("columns").EnumerateArray()
                    .Select(c => $"{c.GetProperty("name").GetString()}:{c.GetProperty("type").GetString()}").ToList())).ToList();
        }
        finally
        {
            File.Delete(input);
        }
    }
}
