using EntraProvisioningExporter.Simulator;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// Drives a <see cref="SchedulingFakeTimeProvider"/> as a discrete-event simulation: a pending Task.Delay on the clock
/// (a budget or backoff wait) is jumped to at once; the next poll tick only once every source has finished the
/// cycle of the previous tick and no request is in flight. Scenario time then runs as fast as the machine can
/// serve it, and every request arrives at exactly the scenario instant it was sent. With <c>until</c>, no poll tick
/// falls after that instant, so a test that reads the metrics "at" a scenario time reads exactly that time's.
/// </summary>
public sealed class DiscreteEventClock : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public DiscreteEventClock(SchedulingFakeTimeProvider time, SimulatorServer simulator, ExporterHost exporter, int sources, Action<int>? onTick = null, DateTimeOffset? until = null)
    {
        loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (time.NextOneShotDue is { } wait)
                {
                    time.AdvanceTo(wait);
                }
                else if (simulator.InFlight == 0 && await AllSourcesFinishedAsync(exporter, sources, Ticks + 1) && time.NextPeriodicDue is { } tick
                    && (until is null || tick <= until))
                {
                    onTick?.Invoke(Ticks + 1);
                    time.AdvanceTo(tick);
                    Ticks++;
                }
                await Task.Delay(2);
            }
        });
    }

    /// <summary>Poll ticks the clock has moved through.</summary>
    public int Ticks { get; private set; }

    private static async Task<bool> AllSourcesFinishedAsync(ExporterHost exporter, int sources, int cycles)
    {
        var counts = MetricsText.Parse(await exporter.MetricsAsync()).Named("entra_exporter_poll_duration_seconds_count").ToList();
        return counts.Count == sources && counts.All(c => c.Value >= cycles);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
