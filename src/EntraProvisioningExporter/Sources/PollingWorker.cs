using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Sources;

/// <summary>
/// Runs every source of every tenant in its own loop, side by side: one tenant's or source's failure or
/// slowness never holds up another.
/// With sharding, only this replica's share of the tenants.
/// </summary>
public sealed partial class PollingWorker(
    IOptions<ExporterOptions> options,
    TenantSharding sharding,
    TenantSourceFactory factory,
    SourceHealthRegistry health,
    ExporterSelfMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var loopLogger = loggers.CreateLogger<PollLoop>();
        if (sharding.Count > 1)
            LogShard(loggers.CreateLogger<PollingWorker>(), sharding.Index, sharding.Count, sharding.Assigned.Count, sharding.Configured,
                string.Join(", ", sharding.Assigned.Select(t => t.DisplayName)));
        var loops = sharding.Assigned.SelectMany(Sources).Select(source =>
        {
            // Registered before any loop runs, so readiness waits for every source; every reason's series starts at 0.
            health.Register(source.TenantId, source.Source);
            metrics.InitializePollErrors(source.TenantId, source.Source);
            return new PollLoop(source, o, health, metrics, time, loopLogger);
        }).ToList();
        return Task.WhenAll(loops.Select(l => Task.Run(() => l.RunAsync(stoppingToken), CancellationToken.None)));
    }

    private IEnumerable<IPolledSource> Sources(TenantOptions tenant)
    {
        var sources = factory.Create(tenant);
        yield return sources.Jobs;
        if (sources.Logs is { } logSource) yield return logSource;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Index} of {Count}: polling {Assigned} of {Configured} tenants: {Tenants}")]
    private static partial void LogShard(ILogger logger, int index, int count, int assigned, int configured, string tenants);
}
