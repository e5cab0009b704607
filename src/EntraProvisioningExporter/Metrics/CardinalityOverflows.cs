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
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlySet<string>> overflowing = new(StringComparer.Ordinal);

    public bool IsOverflowing(string instrument) => overflowing.Values.Any(set => set.Contains(instrument));

    /// <summary>The overflowing instruments of one collection of one meter (each meter is collected on its own).</summary>
    public void Update(string meter, IReadOnlyCollection<string> instruments)
    {
        var now = instruments.ToHashSet(StringComparer.Ordinal);
        var before = overflowing.GetValueOrDefault(meter) ?? new HashSet<string>();
        foreach (var name in now.Except(before).Order(StringComparer.Ordinal))
            LogOverflow(logger, name);
        overflowing[meter] = now;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metric {Metric} reached its cardinality limit: series past it are merged into one overflow series and not exposed. Raise Exporter:MaxJobs to the number of jobs watched.")]
    private static partial void LogOverflow(ILogger logger, string metric);
}
