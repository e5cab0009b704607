namespace EntraProvisioningExporter.Tests.TestSupport;

/// <summary>The discrete-event clock jumps to waits and ticks and must never jump to a cycle's timeout.</summary>
public class SchedulingFakeTimeProviderTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_delay_is_a_wait_a_periodic_timer_a_tick_and_a_cancellation_timeout_neither()
    {
        var time = new SchedulingFakeTimeProvider(Start);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
        Assert.Null(time.NextOneShotDue);

        using var ticks = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        var tick = ticks.WaitForNextTickAsync();
        var delay = Task.Delay(TimeSpan.FromSeconds(10), time);
        Assert.Equal(Start.AddSeconds(10), time.NextOneShotDue);
        Assert.Equal(Start.AddMinutes(1), time.NextPeriodicDue);

        time.AdvanceTo(Start.AddSeconds(10));
        await delay.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(timeout.IsCancellationRequested);
        Assert.Null(time.NextOneShotDue);

        time.AdvanceTo(Start.AddMinutes(1));
        Assert.True(await tick.AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(Start.AddMinutes(2), time.NextPeriodicDue);
    }

    [Fact]
    public void A_jump_over_many_periods_fires_a_periodic_timer_once_at_the_new_time()
    {
        var time = new SchedulingFakeTimeProvider(Start);
        var fired = new List<DateTimeOffset>();
        using var timer = time.CreateTimer(_ => fired.Add(time.GetUtcNow()), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));

        time.Jump(TimeSpan.FromMinutes(5));
        Assert.Equal([Start.AddMinutes(5)], fired);

        time.Advance(TimeSpan.FromSeconds(30)); // a plain advance fires as FakeTimeProvider does
        Assert.Equal(2, fired.Count);
    }
}
