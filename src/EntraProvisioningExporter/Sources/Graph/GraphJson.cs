using System.Text.Json;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>Reading Graph's raw JSON where the SDK's model is not used or drops values: tolerant of any shape.</summary>
internal static class GraphJson
{
    /// <summary>A non-empty string property of an object; null when the element is not an object or the value is not a non-empty string.</summary>
    public static string? String(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
}
