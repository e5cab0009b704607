using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.TestSupport;

/// <summary>
/// A FakeTimeProvider that also says when its next wait (a one-shot timer, e.g. Task.Delay) and its next poll tick
/// (a periodic timer) are due: FakeTimeProvider does not expose its pending timers, and a discrete-event clock needs
/// them. A cancellation timeout (a CancellationTokenSource on this clock) is no wait: it is never jumped to.
/// <see cref="Jump"/> fires each due timer once, at the new time, which FakeTimeProvider's Advance does not.
/// </summary>
public sealed class SchedulingFakeTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly object gate = new();
    private readonly List<TrackedTimer> timers = [];
    private volatile bool jumping;

    /// <summary>Raised when a timer is scheduled, changed or disposed: a new wait or tick may be due.</summary>
    public event Action? TimersChanged;

    public DateTimeOffset? NextOneShotDue => EarliestDue(t => !t.IsPeriodic && !t.IsTimeout);

    public DateTimeOffset? NextPeriodicDue => EarliestDue(t => t.IsPeriodic);

    /// <summary>Jumps the clock to <paramref name="instant"/> if it is ahead (see <see cref="Jump"/>); false if it was not.</summary>
    public bool AdvanceTo(DateTimeOffset instant)
    {
        var by = instant - GetUtcNow();
        if (by <= TimeSpan.Zero) return false;
        Jump(by);
        return true;
    }

    /// <summary>
    /// Moves the clock by <paramref name="by"/>, then fires each timer that fell due once, with the clock already there:
    /// as a machine waking from sleep, a poll loop gets one tick (not one per period passed) and reads the new time.
    /// </summary>
    public void Jump(TimeSpan by)
    {
        jumping = true;
        try { Advance(by); }
        finally { jumping = false; }
        List<TrackedTimer> missed;
        lock (gate)
        {
            missed = timers.Where(t => t.Missed).ToList();
            missed.ForEach(t => t.Missed = false);
        }
        foreach (var timer in missed) timer.Invoke();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this, isTimeout: state is CancellationTokenSource, () => callback(state));
        tracked.Schedule(dueTime, period);
        tracked.Inner = base.CreateTimer(_ =>
        {
            tracked.Fired();
            if (jumping) tracked.Missed = true; // fired once when the jump is done
            else tracked.Invoke();
        }, null, dueTime, period);
        return tracked;
    }

    private DateTimeOffset? EarliestDue(Func<TrackedTimer, bool> which)
    {
        lock (gate) return timers.Where(t => t.DueAt is not null && which(t)).Select(t => t.DueAt).Min();
    }

    private sealed class TrackedTimer(SchedulingFakeTimeProvider owner, bool isTimeout, Action invoke) : ITimer
    {
        private TimeSpan period = Timeout.InfiniteTimeSpan;
        public ITimer? Inner { get; set; }
        public bool Missed { get; set; }
        public void Invoke() => invoke();
        public bool IsTimeout { get; } = isTimeout;
        public DateTimeOffset? DueAt { get; private set; }
        public bool IsPeriodic => period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero;

        public void Schedule(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner.gate)
            {
                this.period = period;
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : owner.GetUtcNow() + dueTime;
                if (!owner.timers.Contains(this)) owner.timers.Add(this);
            }
            owner.TimersChanged?.Invoke();
        }

        public void Fired()
        {
            lock (owner.gate) DueAt = IsPeriodic && DueAt is { } at ? at + period : null;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Schedule(dueTime, period);
            return Inner!.Change(dueTime, period);
        }

        public void Dispose()
        {
            lock (owner.gate) { DueAt = null; Missed = false; owner.timers.Remove(this); }
            Inner?.Dispose();
            owner.TimersChanged?.Invoke();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
