using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Sources;

/// <summary>How a cycle went: null reason for success; otherwise a <see cref="PollErrorReason"/> and a loggable detail.</summary>
public sealed record CycleOutcome(string? FailureReason = null, string? Detail = null)
{
    public static readonly CycleOutcome Success = new();
}

/// <summary>One source of one tenant that is polled in cycles.</summary>
public interface IPolledSource
{
    string TenantId { get; }
    string TenantName { get; }
    string Source { get; }

    /// <summary>Reads, publishes a snapshot, and says how it went. Exceptions are classified by the loop.</summary>
    Task<CycleOutcome> RunCycleAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The polling loop every source shares: a cycle at start, then one every PollInterval on TimeProvider time,
/// each bounded by PollTimeout; duration recorded, health and errors reported, one log line per failure. Both
/// are read from the configuration in force at each cycle, so a reloaded interval applies from the next tick.
///
/// A source that talks to Graph has a <see cref="Graph.GraphThrottleMeter"/>: each cycle's reading is reported with its health,
/// and after a cycle past the app's limit (x-ms-throttle-limit-percentage above 1.0) the loop lets one tick pass before the
/// next cycle: it polls at half the rate until Graph says the app is back under its limit.
/// </summary>
public sealed partial class PollLoop(IPolledSource source, RuntimeConfiguration runtime, TenantSnapshotStore health,
    ExporterSelfMetrics metrics,
    TimeProvider time, ILogger logger, Graph.GraphThrottleMeter? throttle = null)
{
    private bool slowedDown;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(runtime.Options.PollInterval, time);
        do
        {
            var (reading, succeeded) = await RunCycleAsync(stoppingToken).ConfigureAwait(false);
            if (runtime.Options.PollInterval is var interval && interval != timer.Period) timer.Period = interval;
            // Only a successful cycle's reading changes it: a source that does not talk to Graph, or a failed cycle (a 429
            // carries no percentage), leaves it as it was.
            if (succeeded && reading is { } r && r.PastTheLimit != slowedDown)
            {
                slowedDown = r.PastTheLimit;
                LogThrottleHeadroom(logger, source.Source, source.TenantName, r.LimitRatio,
                    slowedDown ? "polls at half the rate" : "polls at its interval again");
            }
            if (slowedDown)
            {
                if (!await WaitAsync(timer, stoppingToken).ConfigureAwait(false)) return;
                LogTickSkipped(logger, source.Source, source.TenantName);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try { return await timer.WaitForNextTickAsync(token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>One cycle: the throttling reading it ended with (for a source that talks to Graph), and whether it succeeded.</summary>
    public async Task<(Graph.GraphThrottleReading? Reading, bool Succeeded)> RunCycleAsync(CancellationToken stoppingToken)
    {
        var started = time.GetTimestamp();
        (string Reason, string Detail)? failure = null;
        // The timeout runs on the injected clock, as the interval does.
        using var timeout = new CancellationTokenSource(runtime.Options.EffectivePollTimeout, time);
        using var cycle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            var outcome = await source.RunCycleAsync(cycle.Token).ConfigureAwait(false);
            if (outcome.FailureReason is { } reason) failure = (reason, outcome.Detail ?? reason);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            failure = PollErrorClassifier.Classify(ex);
        }
        catch (OperationCanceledException)
        {
            // shutting down
            metrics.RecordPollDuration(source.TenantId, source.Source, time.GetElapsedTime(started).TotalSeconds);
            return (null, false);
        }
        // The cycle's own time: what subscribers to the report do is not part of it.
        var duration = time.GetElapsedTime(started).TotalSeconds;
        var reading = throttle?.EndCycle();
        try
        {
            if (failure is { } f) Fail(f.Reason, f.Detail, reading);
            else health.ReportSuccess(source.TenantId, source.Source, time.GetUtcNow(), reading);
            metrics.RecordPollDuration(source.TenantId, source.Source, duration);
        }
        catch (Exception ex)
        {
            // A subscriber to the report failed (a bug): the loop goes on polling, the failure is logged.
            LogReportFailed(logger, source.Source, source.TenantName, ex);
        }
        return (reading, failure is null);
    }

    private void Fail(string reason, string detail, Graph.GraphThrottleReading? reading)
    {
        health.ReportFailure(source.TenantId, source.Source, reason, reading);
        metrics.CountPollError(source.TenantId, source.Source, reason);
        LogCycleFailed(logger, source.Source, source.TenantName, reason, detail);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Source {Source} of tenant {Tenant}: reporting its cycle failed; it keeps polling. "
        + "This is a bug: please report it.")]
    private static partial void LogReportFailed(ILogger logger, string source, string tenant, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Source {Source} of tenant {Tenant} lets this poll pass: the app was "
        + "past its Graph throttling limit.")]
    private static partial void LogTickSkipped(ILogger logger, string source, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source} of tenant {Tenant}: Graph says the app is at {Ratio} of its "
        + "throttling limit; the source {Change}.")]
    private static partial void LogThrottleHeadroom(ILogger logger, string source, string tenant, double ratio, string change);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source} of tenant {Tenant} failed ({Reason}): {Detail}")]
    private static partial void LogCycleFailed(ILogger logger, string source, string tenant, string reason, string detail);
}
