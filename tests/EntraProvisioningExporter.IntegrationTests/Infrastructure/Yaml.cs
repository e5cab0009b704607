using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>YAML (all documents of a stream) as JSON nodes, so rendered manifests can be queried and compared.</summary>
public static class Yaml
{
    public static IReadOnlyList<JsonObject> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Where(d => d.RootNode is YamlMappingNode m && m.Children.Count > 0)
            .Select(d => (JsonObject)ToJson(d.RootNode)!).ToList();
    }

    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m
            => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Value: null or "~" or "null" } sc when sc.Style == YamlDotNet.Core.ScalarStyle.Plain => null,
        YamlScalarNode sc => JsonValue.Create(sc.Value),
        _ => null,
    };

    /// <summary>A stable text form for comparing two parsed documents.</summary>
    public static string Canonical(JsonNode? node) => node?.ToJsonString() ?? "null";
}
