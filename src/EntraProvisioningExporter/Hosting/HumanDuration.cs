using static System.FormattableString;

namespace EntraProvisioningExporter.Hosting;

/// <summary>A duration as a person reads it in a report or on the status page: seconds, minutes, hours or days, rounded.</summary>
public static class HumanDuration
{
    public static string Format(TimeSpan t) =>
        t.TotalDays >= 2 ? Invariant($"{t.TotalDays:0} days") : t.TotalHours >= 2 ? Invariant($"{t.TotalHours:0} hours")
        : t.TotalMinutes >= 2 ? Invariant($"{t.TotalMinutes:0} minutes") : Invariant($"{Math.Max(0, t.TotalSeconds):0} seconds");
}
