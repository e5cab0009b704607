namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// HELP texts: where a value comes from and how fresh it is, said the same way by every family. They are static:
/// the interval in force is a series of its own (entra_exporter_poll_interval_seconds) and thresholds are named by
/// their setting, so a reload never leaves a HELP text quoting an old value.
/// </summary>
public static class MetricHelp
{
    public static string FromGraph(string what) =>
        $"{what} Polled from Microsoft Graph each poll interval (entra_exporter_poll_interval_seconds) and cached between polls.";

    public static string FromLogs(string what) =>
        $"{what} Read from the provisioning logs each poll interval (entra_exporter_poll_interval_seconds) and cached between polls.";

    public static string AgeFromGraph(string what) =>
        $"{what} Computed at scrape time from the job status polled from Microsoft Graph.";

    public static string AgeFromLogs(string what) =>
        $"{what} Computed at scrape time from the provisioning logs.";

    /// <summary>
    /// A HELP text both exposition formats read the same: backslash and newline escaped, and no double quote
    /// (OpenMetrics requires it escaped, the text format has no escape for it).
    /// </summary>
    public static string Sanitize(string help) =>
        help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal)
            .Replace("\n", @"\n", StringComparison.Ordinal).Replace('"', '\'');
}
