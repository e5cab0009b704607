using System.Globalization;
using System.Text;
using EntraProvisioningExporter.Metrics;
using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// /probe's side of the exposition: one tenant's series, written from the rows and series that tenant's applications
/// keep (so the cost is that tenant's series, not every tenant's), in the Prometheus text format 0.0.4. Its recorded
/// families labelled by tenant (poll durations and errors) are mirrored into a small registry of the tenant's own,
/// which prometheus-net serializes after them.
/// </summary>
public sealed partial class PrometheusExposition
{
    /// <summary>A tenant family's place in the exposition: among the per-job families or among the others.</summary>
    private readonly record struct TenantFamilySlot(TenantFamily Family, bool PerJob, int Index);

    private TenantFamilySlot[] probeOrder = [];
    private RecordedFamily[] tenantRecorded = [];

    private void PrepareProbe(MetricTable table)
    {
        probeOrder = [.. table.TenantFamilies.Select(f => f.ReadJob is not null
            ? new TenantFamilySlot(f, true, Array.IndexOf(jobFamilies.Families, f))
            : new TenantFamilySlot(f, false, Array.IndexOf(tenantFamilies, f)))];
        tenantRecorded = [.. table.Families.OfType<RecordedFamily>().Where(f => f.LabelNames is ["tenant_id", ..])];
    }

    /// <summary>
    /// Writes the series of the tenant <paramref name="tenantId"/> (text format 0.0.4) to <paramref name="output"/>: its
    /// tenant families in table order, ages as of now, then its poll durations and errors. A tenant with no series yet
    /// writes nothing.
    /// </summary>
    public async Task WriteTenantAsync(string tenantId, Stream output, CancellationToken cancellationToken)
    {
        if (!tenants.TryGetValue(tenantId, out var state)) return;
        var text = new StringBuilder();
        lock (state)
        {
            var now = time.GetUtcNow();
            foreach (var ages in state.Ages)
                foreach (var age in Volatile.Read(ref ages.Series))
                    age.Child.Set(TenantFamily.Age(age.Since, now));
            foreach (var slot in probeOrder)
            {
                if (slot.PerJob) state.Jobs.WriteFamily(slot.Index, slot.Family, text);
                else state.WriteFamily(slot.Index, slot.Family, text);
            }
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (state.Histograms is { } histograms)
            await histograms.Registry.CollectAndExportAsTextAsync(output, cancellationToken).ConfigureAwait(false);
        if (state.Recorded is { } recorded) await recorded.Registry.CollectAndExportAsTextAsync(output, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The tenant-labelled recorded families of one tenant, in a registry of its own.</summary>
    private sealed class TenantRecorded
    {
        public TenantRecorded(RecordedFamily[] families)
        {
            var factory = PrometheusMetrics.WithCustomRegistry(Registry);
            foreach (var family in families)
            {
                string[] labels = [.. family.LabelNames];
                Collectors[family] = family.Kind == MetricKind.Histogram
                    ? factory.CreateHistogram(family.Name, family.Help, labels,
                        new HistogramConfiguration { Buckets = [.. family.Buckets!] })
                    : factory.CreateCounter(family.Name, family.Help, labels);
            }
        }

        public CollectorRegistry Registry { get; } = PrometheusMetrics.NewCustomRegistry();
        public Dictionary<MetricFamily, Collector> Collectors { get; } = [];
    }

    /// <summary>The tenant's mirror of a recorded family, when the family is labelled by tenant.</summary>
    private Collector? TenantMirror(RecordedFamily family, ReadOnlySpan<string> labelValues)
    {
        if (tenantRecorded.Length == 0 || family.LabelNames is not ["tenant_id", ..] || labelValues.IsEmpty) return null;
        var state = tenants.GetOrAdd(labelValues[0],
            _ => new TenantSeries(tenantFamilies.Length, jobFamilies, tenantRecorded, histogramFamilies));
        return state.Recorded?.Collectors.GetValueOrDefault(family);
    }

    /// <summary>Text format 0.0.4: a family's HELP and TYPE lines, then its samples.</summary>
    private static class TextFormat
    {
        public static void Header(StringBuilder text, MetricFamily family)
        {
            text.Append("# HELP ").Append(family.Name).Append(' ');
            foreach (var c in family.Help)
            {
                if (c == '\\') text.Append(@"\\");
                else if (c == '\n') text.Append(@"\n");
                else text.Append(c);
            }
            text.Append("\n# TYPE ").Append(family.Name).Append(family.Kind == MetricKind.Counter ? " counter\n" : " gauge\n");
        }

        public static void Sample(StringBuilder text, MetricFamily family, string[] labels, double value)
        {
            text.Append(family.Name);
            if (labels.Length > 0)
            {
                text.Append('{');
                for (var i = 0; i < labels.Length; i++)
                {
                    if (i > 0) text.Append(',');
                    text.Append(family.LabelNames[i]).Append("=\"");
                    foreach (var c in labels[i])
                    {
                        if (c == '\\') text.Append(@"\\");
                        else if (c == '"') text.Append("\\\"");
                        else if (c == '\n') text.Append(@"\n");
                        else text.Append(c);
                    }
                    text.Append('"');
                }
                text.Append('}');
            }
            text.Append(' ');
            if (double.IsNaN(value)) text.Append("NaN");
            else if (double.IsPositiveInfinity(value)) text.Append("+Inf");
            else if (double.IsNegativeInfinity(value)) text.Append("-Inf");
            else text.Append(value.ToString(CultureInfo.InvariantCulture));
            text.Append('\n');
        }

        public static double Value(ChildBase child) => child switch
        {
            Gauge.Child g => g.Value,
            Counter.Child c => c.Value,
            _ => double.NaN,
        };
    }
}
