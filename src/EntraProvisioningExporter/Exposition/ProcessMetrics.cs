using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// The process and runtime families every exporter has: prometheus-net's own (process_cpu_seconds_total,
/// process_start_time_seconds, process_working_set_bytes, process_virtual_memory_bytes, process_open_handles,
/// process_num_threads, dotnet_collection_count_total, dotnet_total_memory_bytes…), plus
/// process_resident_memory_bytes, the name Go exporters and most dashboards use, which prometheus-net does not have.
/// </summary>
public static class ProcessMetrics
{
    public static void Register(CollectorRegistry registry)
    {
        DotNetStats.Register(registry);
        var resident = PrometheusMetrics.WithCustomRegistry(registry)
            .CreateGauge("process_resident_memory_bytes", "Resident memory size in bytes.");
        registry.AddBeforeCollectCallback(() => resident.Set(Environment.WorkingSet));
    }
}
