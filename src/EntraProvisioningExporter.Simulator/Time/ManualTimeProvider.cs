namespace EntraProvisioningExporter.Simulator.Time;

/// <summary>
/// A clock that moves only when told to, for deterministic scenarios (golden files, unit tests).
/// Microsoft.Extensions.TimeProvider.Testing's FakeTimeProvider is absent from this registry; this
/// is the small subset we need, and that package can replace it.
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly object gate = new();
    private readonly List<ManualTimer> timers = [];
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() { lock (gate) return now; }

    public override long GetTimestamp() { lock (gate) return now.UtcTicks; }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>When the earliest pending one-shot timer (a Task.Delay on this clock) is due, if any.</summary>
    public DateTimeOffset? NextOneShotDue
    {
        get { lock (gate) return timers.Where(t => t.DueAt is not null && !t.IsPeriodic).Select(t => t.DueAt).Min(); }
    }

    /// <summary>When the earliest pending periodic timer (a PeriodicTimer on this clock) is due, if any.</summary>
    public DateTimeOffset? NextPeriodicDue
    {
        get { lock (gate) return timers.Where(t => t.DueAt is not null && t.IsPeriodic).Select(t => t.DueAt).Min(); }
    }

    /// <summary>Moves the clock to <paramref name="instant"/> (if it is ahead), firing what falls due.</summary>
    public void AdvanceTo(DateTimeOffset instant)
    {
        var by = instant - GetUtcNow();
        if (by > TimeSpan.Zero) Advance(by);
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (gate)
        {
            now += by;
            due = timers.Where(t => t.DueAt is { } at && at <= now).ToList();
        }
        foreach (var timer in due) timer.Fire();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan period = Timeout.InfiniteTimeSpan;
        public DateTimeOffset? DueAt { get; private set; }
        public bool IsPeriodic => period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner.gate)
            {
                this.period = period;
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : owner.now + dueTime;
                if (!owner.timers.Contains(this)) owner.timers.Add(this);
            }
            return true;
        }

        public void Fire()
        {
            lock (owner.gate)
            {
                DueAt = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : owner.now + period;
            }
            callback(state);
        }

        public void Dispose() { lock (owner.gate) { DueAt = null; owner.timers.Remove(this); } }
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
