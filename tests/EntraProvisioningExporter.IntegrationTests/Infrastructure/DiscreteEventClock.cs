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
/// A cycle is known finished from the exporter's own snapshot store, in process (each source's cycle count). The clock
/// wakes when the store publishes (a cycle ended) or a timer is scheduled, and otherwise looks again after a few
/// milliseconds: the simulator counts a request finished only just after the exporter has read its answer.
/// </summary>
public sealed class DiscreteEventClock : IAsyncDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(5);

    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim changed = new(0, 1); // never disposed: a late event may still release it
    private readonly SchedulingFakeTimeProvider time;
    private readonly TenantSnapshotStore store;
    private readonly Task loop;

    public DiscreteEventClock(SchedulingFakeTimeProvider time, SimulatorServer simulator, ExporterHost exporter, int sources,
        Action<int>? onTick = null, DateTimeOffset? until = null)
    {
        this.time = time;
        store = exporter.App.Services.GetRequiredService<TenantSnapshotStore>();
        store.Published += OnPublished;
        time.TimersChanged += OnTimersChanged;
        loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // A wait already due whose callback has not run yet is the exporter's to handle: the clock waits for it.
                if (time.NextOneShotDue is { } wait && time.AdvanceTo(wait)) continue;
                if (time.NextOneShotDue is null && simulator.InFlight == 0 && AllSourcesFinished(store, sources, Ticks + 1)
                    && time.NextPeriodicDue is { } tick && (until is null || tick <= until))
                {
                    onTick?.Invoke(Ticks + 1);
                    time.AdvanceTo(tick);
                    Ticks++;
                    continue;
                }
                try
                {
                    await changed.WaitAsync(Settle, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    private void OnPublished(TenantSnapshot _) => Wake();

    private void OnTimersChanged() => Wake();

    /// <summary>Wakes the loop; a wake already pending is enough (and this runs on the exporter's threads: it never throws).</summary>
    private void Wake()
    {
        try
        {
            changed.Release();
        }
        catch (SemaphoreFullException)
        {
        }
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
        store.Published -= OnPublished;
        time.TimersChanged -= OnTimersChanged;
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
