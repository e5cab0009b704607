using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources.Graph;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.LogAnalytics;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Sources;

/// <summary>
/// Runs every source of every tenant in its own loop, side by side: one tenant's or source's failure or
/// slowness never holds up another.
/// </summary>
public sealed class PollingWorker(
    IOptions<ExporterOptions> options,
    JobSnapshotStore jobs,
    LogSnapshotStore logs,
    SourceHealthRegistry health,
    ExporterSelfMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var loopLogger = loggers.CreateLogger<PollLoop>();
        var loops = o.Tenants.SelectMany(t => Sources(t, o)).Select(source =>
        {
            health.Register(source.TenantId, source.Source);
            return new PollLoop(source, o, health, metrics, time, loopLogger);
        }).ToList();
        return Task.WhenAll(loops.Select(l => Task.Run(() => l.RunAsync(stoppingToken), CancellationToken.None)));
    }

    /// <summary>The sources a tenant's configuration asks for (also used at start to create their self-metric series).</summary>
    public static IEnumerable<string> SourceNamesOf(TenantOptions tenant)
    {
        yield return SourceNames.GraphJobs;
        if (LogSourceKind.LogAnalytics.Equals(tenant.Logs.Source, StringComparison.OrdinalIgnoreCase)) yield return SourceNames.LogAnalytics;
        if (LogSourceKind.Graph.Equals(tenant.Logs.Source, StringComparison.OrdinalIgnoreCase)) yield return SourceNames.GraphProvisioningLogs;
    }

    private IEnumerable<IPolledSource> Sources(TenantOptions tenant, ExporterOptions o)
    {
        var client = GraphClientBuilder.Build(tenant, o, metrics, SourceNames.GraphJobs);
        var batch = new GraphBatchRunner(client, o.MaxConcurrentRequestsPerTenant, o.MaxBatchRetries, time);
        yield return new TenantJobPoller(tenant, o, new GraphJobSource(tenant.TenantId!, client, batch), jobs, time, loggers.CreateLogger<TenantJobPoller>());

        if (LogSourceKind.LogAnalytics.Equals(tenant.Logs.Source, StringComparison.OrdinalIgnoreCase))
        {
            var credential = TokenCredentialFactory.Create(tenant);
            var la = new LogsQueryClient(LogAnalyticsCloud.EndpointOf(tenant), credential, new LogsQueryClientOptions
            {
                Scope = LogAnalyticsCloud.Scope(tenant.Cloud),
                Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(new HttpStatusCountingHandler(metrics, SourceNames.LogAnalytics) { InnerHandler = new SocketsHttpHandler() })
                {
                    Timeout = Timeout.InfiniteTimeSpan, // the pipeline's per-try network timeout applies
                }),
            });
            yield return new LogAnalyticsLogSource(tenant, o, la, logs, time);
        }
        else if (LogSourceKind.Graph.Equals(tenant.Logs.Source, StringComparison.OrdinalIgnoreCase))
        {
            var budget = new RequestBudget(o.Logs.GraphRequestsPer10Seconds, time);
            var logsClient = GraphClientBuilder.Build(tenant, o, metrics, SourceNames.GraphProvisioningLogs, new RequestBudgetHandler(budget));
            yield return new GraphLogSource(tenant, o, logsClient, budget, logs, time);
        }
    }
}
