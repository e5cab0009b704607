using System.Globalization;
using System.Text.Json;

namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>
/// Reads the job's synchronizationJobSettings (name/value pairs) from the raw JSON: values are documented as strings,
/// but a number is read as well, and a value that is neither is ignored rather than failing the job.
/// </summary>
public static class JobSettings
{
    /// <summary>Deletes in one cycle past which the job is quarantined for TooManyDeletes.</summary>
    public const string DeleteThresholdName = "QuarantineTooManyDeletesThreshold";

    /// <summary>Whether the TooManyDeletes quarantine applies at all ("true"/"false").</summary>
    public const string DeleteQuarantineName = "QuarantineTooManyDeletes";

    /// <summary>
    /// The accidental-deletion threshold: a whole number of at least 0, unless QuarantineTooManyDeletes says "false".
    /// Null when absent, not a whole number (e.g. "five hundred", "1.5", "-3") or disabled.
    /// </summary>
    public static long? DeleteThreshold(JsonElement job)
    {
        if (Value(job, DeleteQuarantineName) is { } enabled && bool.TryParse(enabled, out var on) && !on) return null;
        return Value(job, DeleteThresholdName) is { } raw
            && long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var threshold)
            ? threshold
            : null;
    }

    /// <summary>The value of the setting named <paramref name="name"/> (case-insensitive), trimmed; the last one if repeated.</summary>
    public static string? Value(JsonElement job, string name)
    {
        if (job.ValueKind != JsonValueKind.Object || !job.TryGetProperty("synchronizationJobSettings", out var settings)
            || settings.ValueKind != JsonValueKind.Array)
            return null;
        string? found = null;
        foreach (var pair in settings.EnumerateArray())
        {
            if (pair.ValueKind != JsonValueKind.Object || !pair.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                || !string.Equals(n.GetString(), name, StringComparison.OrdinalIgnoreCase) || !pair.TryGetProperty("value", out var v))
                continue;
            found = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString()?.Trim(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
                _ => null,
            };
        }
        return found;
    }
}
