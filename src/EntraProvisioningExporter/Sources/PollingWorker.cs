using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources.Graph;
using EntraProvisioningExporter.Sources.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Sources;

/// <summary>Runs every tenant's pollers side by side; one tenant's failure or slowness never holds up another.</summary>
public sealed class PollingWorker(
    IOptions<ExporterOptions> options,
    JobSnapshotStore store,
    SourceHealthRegistry health,
    ExporterSelfMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var logger = loggers.CreateLogger<TenantJobPoller>();
        var pollers = o.Tenants.Select(t =>
        {
            var client = GraphClientBuilder.Build(t, o, metrics, SourceNames.GraphJobs);
            var batch = new GraphBatchRunner(client, o.MaxConcurrentRequestsPerTenant, o.MaxBatchRetries, time);
            var source = new GraphJobSource(t.TenantId!, client, batch);
            var poller = new TenantJobPoller(t, o, source, store, health, metrics, time, logger);
            health.Register(t.TenantId!, SourceNames.GraphJobs);
            return poller;
        }).ToList();
        return Task.WhenAll(pollers.Select(p => Task.Run(() => p.RunAsync(stoppingToken), CancellationToken.None)));
    }
}
