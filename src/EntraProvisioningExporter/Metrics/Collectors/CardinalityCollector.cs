using System.Diagnostics.Metrics;

namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>Whether an instrument's series outgrew its cardinality limit (one series per limited instrument, 0 or 1).</summary>
public sealed class CardinalityCollector : IMetricCollector
{
    public CardinalityCollector(ExporterMeter meter, CardinalityOverflows overflows)
    {
        meter.Live.CreateObservableGauge("entra_exporter_cardinality_overflow",
            () => meter.LimitedInstruments.Select(name => new Measurement<long>(overflows.IsOverflowing(name) ? 1 : 0, new KeyValuePair<string, object?>("metric", name))),
            unit: null,
            description: "1 when the metric had more series at the previous collection than its limit (sized from Exporter:MaxJobs) and the excess was dropped; 0 otherwise.");
    }
}
