namespace EntraProvisioningExporter.Simulator.Time;

/// <summary>
/// Scenario time that runs <see cref="Scale"/> times faster than the wall clock, from a fixed origin.
/// Timers are scaled too, so a 60 s poll interval at scale 60 fires every real second: the exporter
/// and the simulator share one of these in demo mode and end-to-end tests.
/// </summary>
public sealed class AcceleratedTimeProvider : TimeProvider
{
    private readonly DateTimeOffset origin;
    private readonly long startTimestamp = System.GetTimestamp();

    public AcceleratedTimeProvider(DateTimeOffset origin, double scale)
    {
        if (!(scale >= 1)) throw new ArgumentOutOfRangeException(nameof(scale), "The time scale must be at least 1.");
        this.origin = origin;
        Scale = scale;
    }

    public double Scale { get; }

    public override DateTimeOffset GetUtcNow() =>
        origin + System.GetElapsedTime(startTimestamp) * Scale;

    public override long GetTimestamp() => (long)(System.GetTimestamp() * Scale);

    public override long TimestampFrequency => System.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(callback, state, ScaleDown(dueTime), ScaleDown(period));

    private TimeSpan ScaleDown(TimeSpan value) =>
        value == Timeout.InfiniteTimeSpan || value <= TimeSpan.Zero ? value : value / Scale;
}
