using System.Diagnostics;
using EntraProvisioningExporter.Metrics;
using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// The process and runtime families every exporter has, under the names prometheus-net's DotNetStats gives them
/// (process_cpu_seconds_total, process_start_time_seconds, process_working_set_bytes, dotnet_collection_count_total…),
/// plus process_resident_memory_bytes, the name Go exporters and most dashboards use. Defined here one by one rather
/// than through DotNetStats, so that Exporter:Metrics can leave any of them out; each is read before a collection.
/// </summary>
public static class ProcessMetrics
{
    private sealed record Family(string Name, MetricKind Kind, string Help, Func<Process, double>? Read);

    private const string GcCollections = "dotnet_collection_count_total";

    private static readonly Family[] Families =
    [
        new(GcCollections, MetricKind.Counter, "GC collection count", null),
        new("process_start_time_seconds", MetricKind.Gauge, "Start time of the process since unix epoch in seconds.",
            p => new DateTimeOffset(p.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0),
        new("process_cpu_seconds_total", MetricKind.Counter, "Total user and system CPU time spent in seconds.",
            p => p.TotalProcessorTime.TotalSeconds),
        new("process_virtual_memory_bytes", MetricKind.Gauge, "Virtual memory size in bytes.", p => p.VirtualMemorySize64),
        new("process_working_set_bytes", MetricKind.Gauge, "Process working set", p => p.WorkingSet64),
        new("process_private_memory_bytes", MetricKind.Gauge, "Process private memory size", p => p.PrivateMemorySize64),
        new("process_open_handles", MetricKind.Gauge, "Number of open handles", p => p.HandleCount),
        new("process_num_threads", MetricKind.Gauge, "Total number of threads", p => p.Threads.Count),
        new("dotnet_total_memory_bytes", MetricKind.Gauge, "Total known allocated memory", _ => GC.GetTotalMemory(false)),
        new("process_resident_memory_bytes", MetricKind.Gauge, "Resident memory size in bytes.", _ => Environment.WorkingSet),
    ];

    /// <summary>Every process and runtime family name, for Exporter:Metrics to match against.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Families.Select(f => f.Name)];

    /// <summary>Registers the families <paramref name="selection"/> keeps; none of them when it keeps none.</summary>
    public static void Register(CollectorRegistry registry, MetricSelection selection)
    {
        var factory = PrometheusMetrics.WithCustomRegistry(registry);
        var updates = new List<Action<Process>>();
        foreach (var family in Families.Where(f => selection.Includes(f.Name)))
        {
            if (family.Name == GcCollections)
            {
                var collections = factory.CreateCounter(family.Name, family.Help, "generation");
                var generations = Enumerable.Range(0, GC.MaxGeneration + 1)
                    .Select(g => (g, collections.WithLabels(g.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToArray();
                updates.Add(_ =>
                {
                    foreach (var (generation, child) in generations) child.IncTo(GC.CollectionCount(generation));
                });
                continue;
            }
            var read = family.Read!;
            if (family.Kind == MetricKind.Counter)
            {
                var counter = factory.CreateCounter(family.Name, family.Help);
                updates.Add(p => counter.IncTo(read(p)));
            }
            else
            {
                var gauge = factory.CreateGauge(family.Name, family.Help);
                updates.Add(p => gauge.Set(read(p)));
            }
        }
        if (updates.Count == 0) return;
        var process = Process.GetCurrentProcess();
        var gate = new object();
        registry.AddBeforeCollectCallback(() =>
        {
            lock (gate)
            {
                process.Refresh();
                foreach (var update in updates)
                {
                    try
                    {
                        update(process);
                    }
                    catch (Exception ex) when (ex
                        is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
                    {
                        // A value the platform cannot give keeps its last value; the scrape goes on.
                    }
                }
            }
        });
    }
}
