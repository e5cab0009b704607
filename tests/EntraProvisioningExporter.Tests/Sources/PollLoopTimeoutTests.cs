using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Sources;

/// <summary>A cycle's PollTimeout runs on the injected clock: the fake clock passing it cancels a hung cycle.</summary>
public class PollLoopTimeoutTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    // Far beyond the bounded waits below: only the fake clock can reach it during the test.
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>A cycle that never ends unless cancelled, and says when it started and whether it was cancelled.</summary>
    private sealed class HangingSource : IPolledSource
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Cancelled { get; private set; }
        public string TenantId => "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e";
        public string TenantName => "hung";
        public string Source => SourceNames.GraphJobs;

        public async Task<CycleOutcome> RunCycleAsync(CancellationToken cancellationToken)
        {
            Started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled = true;
                throw;
            }
            return CycleOutcome.Success;
        }
    }

    [Fact]
    public async Task A_hung_cycle_is_cancelled_when_the_fake_clock_passes_PollTimeout_and_reported_as_a_timeout()
    {
        var time = new FakeTimeProvider(Start);
        var options = new ExporterOptions { PollInterval = TimeSpan.FromHours(1), PollTimeout = PollTimeout };
        var runtime = new RuntimeConfiguration(options, new ExporterInfo("test", options.PollInterval, 0, 1, 1, 1, true, Start));
        var health = new TenantSnapshotStore();
        var source = new HangingSource();
        health.Register(source.TenantId, source.Source);
        var loop = new PollLoop(source, runtime, health, new ExporterSelfMetrics([]), time, NullLogger.Instance);

        var cycle = loop.RunCycleAsync(CancellationToken.None);
        await source.Started.Task.WaitAsync(Bound);

        time.Advance(PollTimeout - TimeSpan.FromSeconds(1));
        Assert.False(cycle.IsCompleted, "the cycle must not end before its timeout");
        Assert.False(source.Cancelled);

        time.Advance(TimeSpan.FromSeconds(1));
        await cycle.WaitAsync(Bound);

        Assert.True(source.Cancelled);
        var reported = Assert.Single(health.Get(source.TenantId)!.Sources);
        Assert.False(reported.Up);
        Assert.True(reported.FirstCycleDone);
        Assert.Equal(PollErrorReason.Timeout, reported.LastErrorReason);
    }
}
