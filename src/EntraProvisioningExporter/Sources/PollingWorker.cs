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

/// <summary>Makes a tenant's Azure.Identity credential (null: no token). A seam so tests can supply a failing or expiring one.</summary>
public delegate Azure.Core.TokenCredential? CredentialFactory(TenantOptions tenant);

/// <summary>
/// Runs every source of every tenant in its own loop, side by side: one tenant's or source's failure or
/// slowness never holds up another.
/// With sharding, only this replica's share of the tenants.
/// </summary>
public sealed partial class PollingWorker(
    IOptions<ExporterOptions> options,
    TenantSharding sharding,
    JobSnapshotStore jobs,
    LogSnapshotStore logs,
    SourceHealthRegistry health,
    ExporterSelfMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers,
    CredentialFactory credentials) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var loopLogger = loggers.CreateLogger<PollLoop>();
        if (sharding.Count > 1)
            LogShard(loggers.CreateLogger<PollingWorker>(), sharding.Index, sharding.Count, sharding.Assigned.Count, sharding.Configured,
                string.Join(", ", sharding.Assigned.Select(t => t.DisplayName)));
        var loops = sharding.Assigned.SelectMany(t => Sources(t, o)).Select(source =>
        {
            // Registered before any loop runs, so readiness waits for every source; every reason's series starts at 0.
            health.Register(source.TenantId, source.Source);
            metrics.InitializePollErrors(source.TenantId, source.Source);
            return new PollLoop(source, o, health, metrics, time, loopLogger);
        }).ToList();
        return Task.WhenAll(loops.Select(l => Task.Run(() => l.RunAsync(stoppingToken), CancellationToken.None)));
    }

    private IEnumerable<IPolledSource> Sources(TenantOptions tenant, ExporterOptions o)
    {
        var credential = credentials(tenant);
        var client = GraphClientBuilder.Build(tenant, o, metrics, SourceNames.GraphJobs, credential);
        var batch = new GraphBatchRunner(client, o.MaxConcurrentRequestsPerTenant, o.MaxBatchRetries, time);
        yield return new TenantJobPoller(tenant, o, new GraphJobSource(tenant.TenantId!, client, batch), jobs, time, loggers.CreateLogger<TenantJobPoller>());

        if (LogSourceKind.LogAnalytics.Equals(tenant.Logs.Source, StringComparison.OrdinalIgnoreCase))
        {
            var la = new LogsQueryClient(LogAnalyticsCloud.EndpointOf(tenant), credential, new LogsQueryClientOptions
            {
                Scope = LogAnalyticsCloud.Scope(tenant.Cloud),
                Retry = { MaxRetries = o.HttpMaxRetries, Delay = o.HttpRetryDelay <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : o.HttpRetryDelay },
                Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(new HttpStatusCountingHandler(metrics, SourceNames.LogAnalytics) { InnerHandler = new SocketsHttpHandler() })
                {
                    Timeout = Timeout.InfiniteTimeSpan, // the pipeline's per-try network timeout applies
                }),
            }, uri => LogAnalyticsCloud.MayReceiveToken(uri) || (tenant.AllowTokenToLoopback && GraphCloud.IsLoopback(uri)));
            yield return new LogAnalyticsLogSource(tenant, o, la, logs, time);
        }
        else if (LogSourceKind.Graph.Equals(tenant.Logs.Source, StringComparison.OrdinalIgnoreCase))
        {
            var budget = new RequestBudget(o.Logs.GraphRequestsPer10Seconds, time);
            var logsClient = GraphClientBuilder.Build(tenant, o, metrics, SourceNames.GraphProvisioningLogs, credential, new RequestBudgetHandler(budget));
            yield return new GraphLogSource(tenant, o, logsClient, budget, logs, time);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Index} of {Count}: polling {Assigned} of {Configured} tenants: {Tenants}")]
    private static partial void LogShard(ILogger logger, int index, int count, int assigned, int configured, string tenants);
}
