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
/// </summary>
public sealed partial class PollLoop(IPolledSource source, RuntimeConfiguration runtime, SourceHealthRegistry health, ExporterSelfMetrics metrics, TimeProvider time, ILogger logger)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(runtime.Options.PollInterval, time);
        do
        {
            await RunCycleAsync(stoppingToken).ConfigureAwait(false);
            if (runtime.Options.PollInterval is var interval && interval != timer.Period) timer.Period = interval;
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try { return await timer.WaitForNextTickAsync(token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }

    public async Task RunCycleAsync(CancellationToken stoppingToken)
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
            return;
        }
        // The cycle's own time: what subscribers to the report do is not part of it.
        var duration = time.GetElapsedTime(started).TotalSeconds;
        if (failure is { } f) Fail(f.Reason, f.Detail);
        else health.ReportSuccess(source.TenantId, source.Source, time.GetUtcNow());
        metrics.RecordPollDuration(source.TenantId, source.Source, duration);
    }

    private void Fail(string reason, string detail)
    {
        health.ReportFailure(source.TenantId, source.Source, reason);
        metrics.CountPollError(source.TenantId, source.Source, reason);
        LogCycleFailed(logger, source.Source, source.TenantName, reason, detail);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source} of tenant {Tenant} failed ({Reason}): {Detail}")]
    private static partial void LogCycleFailed(ILogger logger, string source, string tenant, string reason, string detail);
}
