namespace EntraProvisioningExporter.Exposition;

public enum MetricKind { Counter, Gauge, Histogram }

/// <summary>Cumulative histogram data: counts[i] = observations ≤ bounds[i]; the last count is for +Inf (= Count).</summary>
public sealed record HistogramValue(double[] Bounds, long[] CumulativeCounts, double Sum, long Count);

/// <summary>One series: its labels and its value (or histogram).</summary>
public readonly record struct Sample(SampleLabels Labels, double Value, HistogramValue? Histogram = null);

/// <summary>One metric family. For counters, <see cref="Name"/> ends in _total (as instruments are named).</summary>
public sealed record MetricFamily(string Name, string Help, MetricKind Kind, IReadOnlyList<Sample> Samples);

/// <summary>Everything one collection produced, independent of the OpenTelemetry SDK's short-lived metric points.</summary>
public sealed record ExpositionSnapshot(IReadOnlyList<MetricFamily> Families);
