using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// Drives a <see cref="SchedulingFakeTimeProvider"/> as a discrete-event simulation: a pending Task.Delay on the clock
/// (a budget or backoff wait) is jumped to at once; the next poll tick only once every source has finished the
/// cycle of the previous tick and no request is in flight. Scenario time then runs as fast as the machine can
/// serve it, and every request arrives at exactly the scenario instant it was sent. With <c>until</c>, no poll tick
/// falls after that instant, so a test that reads the metrics "at" a scenario time reads exactly that time's.
/// A cycle is known finished from the exporter's own source-health registry, in process (each source's cycle count).
/// </summary>
public sealed class DiscreteEventClock : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public DiscreteEventClock(SchedulingFakeTimeProvider time, SimulatorServer simulator, ExporterHost exporter, int sources,
        Action<int>? onTick = null, DateTimeOffset? until = null)
    {
        var health = exporter.App.Services.GetRequiredService<TenantSnapshotStore>();
        loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (time.NextOneShotDue is { } wait)
                {
                    time.AdvanceTo(wait);
                }
                else if (simulator.InFlight == 0 && AllSourcesFinished(health, sources, Ticks + 1) && time.NextPeriodicDue is { } tick
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

    private static bool AllSourcesFinished(TenantSnapshotStore health, int sources, int cycles)
    {
        var all = health.Sources;
        return all.Count == sources && all.All(s => s.Cycles >= cycles);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
