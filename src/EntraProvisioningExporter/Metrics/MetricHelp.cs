using System.Globalization;
using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Metrics;

/// <summary>HELP texts: where a value comes from and how fresh it is, said the same way by every family.</summary>
public static class MetricHelp
{
    public static string FromGraph(string what, ExporterOptions options) =>
        $"{what} Polled from Microsoft Graph every {Seconds(options)}s and cached between polls.";

    public static string FromLogs(string what, ExporterOptions options) =>
        $"{what} Read from the provisioning logs every {Seconds(options)}s and cached between polls.";

    public static string AgeFromGraph(string what, ExporterOptions options) =>
        $"{what} Computed at scrape time from the job status polled from Microsoft Graph every {Seconds(options)}s.";

    public static string AgeFromLogs(string what, ExporterOptions options) =>
        $"{what} Computed at scrape time from the provisioning logs read every {Seconds(options)}s.";

    /// <summary>
    /// A HELP text both exposition formats read the same: backslash and newline escaped, and no double quote
    /// (OpenMetrics requires it escaped, the text format has no escape for it).
    /// </summary>
    public static string Sanitize(string help) =>
        help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal)
            .Replace("\n", @"\n", StringComparison.Ordinal).Replace('"', '\'');

    private static string Seconds(ExporterOptions options) => options.PollInterval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
