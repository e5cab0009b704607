using YamlDotNet.RepresentationModel;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>The canonical monitoring files shipped in the chart (the one copy the chart and the docker stack use).</summary>
public static class Monitoring
{
    public static string RulesFile => Repo.Path("charts", "entra-provisioning-exporter", "files", "prometheus", "alerts.yaml");
    /// <summary>The promtool unit tests of the rules: one file per evaluation interval.</summary>
    public static IReadOnlyList<string> RuleTestFiles
        => [Repo.Path("tests", "prometheus", "alerts.test.yaml"), Repo.Path("tests", "prometheus", "baseline.test.yaml")];
    public static string DashboardFile => Repo.Path("charts", "entra-provisioning-exporter", "files", "grafana", "entra-provisioning.json");

    public static YamlMappingNode LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    /// <summary>Every alerting rule: name, expression, labels, annotations.</summary>
    public static IReadOnlyList<(string Alert, string Expr, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string,
        string> Annotations)> Alerts()
    {
        var root = LoadYaml(RulesFile);
        return ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())
            .Where(r => r.Children.ContainsKey("alert"))
            .Select(r => (((YamlScalarNode)r["alert"]).Value!, ((YamlScalarNode)r["expr"]).Value!,
                Map(r, "labels"), Map(r, "annotations")))
            .ToList();
    }

    /// <summary>The names of every recording rule, in every group.</summary>
    public static IReadOnlyList<string> RecordingRules() =>
        ((YamlSequenceNode)LoadYaml(RulesFile)["groups"]).Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())
            .Where(r => r.Children.ContainsKey("record"))
            .Select(r => ((YamlScalarNode)r["record"]).Value!)
            .ToList();

    /// <summary>
    /// Every rule group: its name, its own evaluation interval (null: the global one), and each rule's name and expression.
    /// </summary>
    public static IReadOnlyList<(string Name, string? Interval, IReadOnlyList<(string Name, bool Recorded, string Expr)> Rules)> Groups() =>
        ((YamlSequenceNode)LoadYaml(RulesFile)["groups"]).Cast<YamlMappingNode>()
            .Select(g => (((YamlScalarNode)g["name"]).Value!,
                g.Children.TryGetValue("interval", out var interval) ? ((YamlScalarNode)interval).Value : null,
                (IReadOnlyList<(string, bool, string)>)((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>()
                    .Select(r => r.Children.ContainsKey("record")
                        ? (((YamlScalarNode)r["record"]).Value!, true, ((YamlScalarNode)r["expr"]).Value!)
                        : (((YamlScalarNode)r["alert"]).Value!, false, ((YamlScalarNode)r["expr"]).Value!))
                    .ToList()))
            .ToList();

    private static IReadOnlyDictionary<string, string> Map(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var child)
            ? ((YamlMappingNode)child).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!)
            : new Dictionary<string, string>();

    /// <summary>GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens.</summary>
    public static string Slug(string heading) =>
        new string(heading.Trim().ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray())
            .Replace(' ', '-');
}

/// <summary>A real Alertmanager (the Debian package, 0.25) on loopback, clustering off.</summary>
public sealed class AlertmanagerServer : ToolServer
{
    public static Task<AlertmanagerServer> StartAsync(string configYaml) =>
        StartAsync(new AlertmanagerServer(), ["alertmanager", "prometheus-alertmanager"], "alertmanager.yml", configYaml, null,
            (dir, port) =>
        [
            $"--config.file={Path.Combine(dir, "alertmanager.yml")}",
            $"--storage.path={Path.Combine(dir, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ], "Alertmanager");

    /// <summary>The alerts Alertmanager holds (API v2).</summary>
    public async Task<IReadOnlyList<(Dictionary<string, string> Labels, Dictionary<string, string> Annotations,
        string State)>> AlertsAsync()
    {
        var json = await Http.GetStringAsync("api/v2/alerts");
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(a => (
            a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            a.GetProperty("annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            a.GetProperty("status").GetProperty("state").GetString() ?? "")).ToList();
    }
}
