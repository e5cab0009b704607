using System.Text.Json;
using System.Text.Json.Nodes;

namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// The values of a provisioning log event that only its detail counts read (duration, initiator, identity, steps), checked
/// on the raw JSON before the SDK sees them: the SDK throws on a number it cannot convert (which would cost the event) and
/// turns a wrong shape into null (which would hide the loss). An integral duration written as 1e3 or 1200.0 is read as
/// the integer it is.
/// </summary>
public static class EventValues
{
    /// <summary>
    /// A copy of the event with each value of the wrong shape taken out (and described in <paramref name="lost"/>), or null
    /// when all are fine.
    /// </summary>
    public static JsonDocument? Cleaned(JsonElement e, List<string> lost)
    {
        var before = lost.Count;
        var (duration, badDuration) = Duration(e, lost);
        var dropInitiator = Wrong(e, "initiatedBy", JsonValueKind.Object, lost) || WrongChild(e, "initiatedBy", "initiatorType", lost);
        var dropIdentity = Wrong(e, "sourceIdentity", JsonValueKind.Object, lost) || WrongChild(e, "sourceIdentity", "identityType", lost);
        var dropSteps = Wrong(e, "provisioningSteps", JsonValueKind.Array, lost);
        var badSteps = !dropSteps && e.TryGetProperty("provisioningSteps", out var steps) && steps.ValueKind == JsonValueKind.Array
            && steps.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object
                && (NotString(s, "provisioningStepType") || NotString(s, "status")));
        if (badSteps) lost.Add("a provisioning step's provisioningStepType or status is not a string");
        if (lost.Count == before && duration is null) return null;

        var node = JsonNode.Parse(e.GetRawText())!.AsObject();
        if (duration is { } d) node["durationInMilliseconds"] = d;
        if (badDuration) node.Remove("durationInMilliseconds");
        if (dropInitiator) node.Remove("initiatedBy");
        if (dropIdentity) node.Remove("sourceIdentity");
        if (dropSteps) node.Remove("provisioningSteps");
        else if (badSteps)
            node["provisioningSteps"] = new JsonArray([.. node["provisioningSteps"]!.AsArray()
                .Where(s => s is not JsonObject o || (IsStringOrNull(o["provisioningStepType"]) && IsStringOrNull(o["status"])))
                .Select(s => s?.DeepClone())]);
        return JsonDocument.Parse(node.ToJsonString());
    }

    /// <summary>
    /// A duration to write back as the Int32 it is (when written otherwise, as 1e3), or whether it is bad (taken out);
    /// (null, false) when the SDK can read it as it is, or there is none.
    /// </summary>
    private static (int? Rewrite, bool Bad) Duration(JsonElement e, List<string> lost)
    {
        if (!e.TryGetProperty("durationInMilliseconds", out var d) || d.ValueKind == JsonValueKind.Null) return (null, false);
        if (d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out _)) return (null, false);
        if (d.ValueKind == JsonValueKind.Number && d.TryGetDouble(out var v) && Math.Floor(v) == v && v
            is >= int.MinValue and <= int.MaxValue)
            return ((int)v, false);
        var raw = d.GetRawText();
        lost.Add($"durationInMilliseconds {(raw.Length > 32 ? raw[..32] + "…" : raw)} is not a duration in milliseconds");
        return (null, true);
    }

    private static bool Wrong(JsonElement e, string name, JsonValueKind kind, List<string> lost)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null || v.ValueKind == kind) return false;
        lost.Add($"{name} is not {(kind == JsonValueKind.Array ? "an array" : "an object")}");
        return true;
    }

    private static bool WrongChild(JsonElement e, string parent, string name, List<string> lost)
    {
        if (!e.TryGetProperty(parent, out var p) || p.ValueKind != JsonValueKind.Object || !NotString(p, name)) return false;
        lost.Add($"{parent}.{name} is not a string");
        return true;
    }

    private static bool NotString(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.String or JsonValueKind.Null);

    private static bool IsStringOrNull(JsonNode? n) => n is null || n.GetValueKind() == JsonValueKind.String;
}
