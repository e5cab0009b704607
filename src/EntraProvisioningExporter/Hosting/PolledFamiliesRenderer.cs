using EntraProvisioningExporter.Exposition;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// Renders the polled families soon after a poll publishes new snapshots, once they have stopped changing for a
/// second (a cycle's job and log sources publish close together), so the next scrape finds them ready instead
/// of paying for the collection itself. Which formats, and whether at all, is the cache's call
/// (<see cref="PolledFamiliesCache.RefreshAsync"/>); a failure here is logged and left to the next scrape,
/// which renders on its own if it must.
/// </summary>
internal sealed partial class PolledFamiliesRenderer(PolledFamiliesCache cache, ILogger<PolledFamiliesRenderer> logger)
    : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    // Real time, not the scenario clock: this schedules CPU work around real scrapes, and a simulated clock
    // (fast demo time, a test's manual clock) must not see a timer that is always pending.
    private static readonly TimeProvider Clock = TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long seen = -1, refreshed = -1;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Tick, Clock, stoppingToken).ConfigureAwait(false);
                var generation = cache.Generation;
                var settled = generation == seen;
                seen = generation;
                if (!settled || generation == refreshed) continue;
                refreshed = generation;
                await cache.RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRenderFailed(logger, ex.GetType().Name, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rendering the polled metric families ahead of the next scrape failed ({Error}: {Detail}); the next scrape renders them.")]
    private static partial void LogRenderFailed(ILogger logger, string error, string detail);
}
