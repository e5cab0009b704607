namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>Whether a log event's time can be believed: inside the range it was asked for, and not in the future.</summary>
public static class LogEventTime
{
    /// <summary>How far a timestamp may lie past "now", or outside the range asked for, before it is not believed.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Null when the time is believable; else the <see cref="DropReason"/> that says why not.</summary>
    public static string? Check(DateTimeOffset at, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        if (at > now + MaxClockSkew) return DropReason.Future;
        if (at < from - MaxClockSkew || at > to + MaxClockSkew || at < DateTimeOffset.UnixEpoch) return DropReason.OutOfWindow;
        return null;
    }
}

/// <summary>A collection's paging passed <see cref="PageBudget.MaxPagesPerCollection"/> pages in one cycle.</summary>
public sealed class PageBudgetExhaustedException(string range, string message) : Exception(message)
{
    /// <summary>What was being read (the collection and range), as the dropped object's id.</summary>
    public string Range { get; } = range;
}
