using System.Text.Json;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>Reading Graph's raw JSON where the SDK's model is not used or drops values: tolerant of any shape.</summary>
internal static class GraphJson
{
    /// <summary>
    /// A non-empty string property of an object; null when the element is not an object or the value is not a non-empty string.
    /// </summary>
    /// A string that is not valid UTF-16 (a lone surrogate escape the body was not repaired of) reads as null, never throws.
    public static string? String(JsonElement? parent, string name)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty(name, out var v)
            || v.ValueKind != JsonValueKind.String) return null;
        try
        {
            return v.GetString() is { Length: > 0 } s ? s : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
