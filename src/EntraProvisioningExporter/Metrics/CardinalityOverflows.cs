using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// Which instruments OpenTelemetry's cardinality limit made merge series into its overflow series at the last
/// collection. Limits are sized from Exporter:MaxJobs, so this stays empty unless the tenants hold more jobs than
/// that; when it does not, the Prometheus exporter records it here and a self-metric and a warning say so,
/// rather than letting the merged series pass silently.
/// </summary>
public sealed partial class CardinalityOverflows(ILogger<CardinalityOverflows> logger)
{
    private volatile IReadOnlySet<string> overflowing = new HashSet<string>();

    public bool IsOverflowing(string instrument) => overflowing.Contains(instrument);

    public void Update(IReadOnlyCollection<string> instruments)
    {
        var now = instruments.ToHashSet(StringComparer.Ordinal);
        foreach (var name in now.Except(overflowing).Order(StringComparer.Ordinal))
            LogOverflow(logger, name);
        overflowing = now;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metric {Metric} reached its cardinality limit: series past it are merged into one overflow series and not exposed. Raise Exporter:MaxJobs to the number of jobs watched.")]
    private static partial void LogOverflow(ILogger logger, string metric);
}
