using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Logs;

public class CurrentCyclesTests
{
    private static readonly JobKey Job = new("t", "sp", "gsuite.1.a");
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Deletes_and_disables_count_unless_skipped_and_staged_deletes_count_apart()
    {
        var cycles = new CurrentCycles();
        cycles.Add(Job, "c1", T0, "delete", "success");
        cycles.Add(Job, "c1", T0.AddSeconds(1), "delete", "failure");
        cycles.Add(Job, "c1", T0.AddSeconds(2), "delete", "skipped");
        cycles.Add(Job, "c1", T0.AddSeconds(3), "disable", "success");
        cycles.Add(Job, "c1", T0.AddSeconds(4), "stageddelete", "skipped");
        cycles.Add(Job, "c1", T0.AddSeconds(5), "update", "success");
        var c = Assert.Single(cycles.Current(T0.AddHours(-1)));
        Assert.Equal(("c1", 2L, 1L, 1L, 3L), (c.CycleId, c.Deletes, c.Disables, c.StagedDeletes, c.Deprovisions));
        Assert.Equal((T0, T0.AddSeconds(5)), (c.Started, c.LastEvent));
    }

    [Fact]
    public void A_newer_cycle_replaces_the_count_and_a_late_event_of_the_old_one_is_ignored()
    {
        var cycles = new CurrentCycles();
        cycles.Add(Job, "c1", T0, "delete", "success");
        cycles.Add(Job, "c2", T0.AddMinutes(40), "delete", "success");
        cycles.Add(Job, "c1", T0.AddSeconds(30), "delete", "success"); // c1's event arriving late
        cycles.Add(Job, "c2", T0.AddMinutes(39), "disable", "success"); // c2's earlier event arriving late (newest first)
        var c = Assert.Single(cycles.Current(T0));
        Assert.Equal(("c2", 1L, 1L, T0.AddMinutes(39)), (c.CycleId, c.Deletes, c.Disables, c.Started));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void An_event_without_a_cycle_id_belongs_to_no_cycle(string? cycleId)
    {
        var cycles = new CurrentCycles();
        cycles.Add(Job, cycleId, T0, "delete", "success");
        Assert.Empty(cycles.Current(T0.AddHours(-1)));
        cycles.Add(Job, "c1", T0, "delete", "success");
        cycles.Add(Job, cycleId, T0.AddMinutes(1), "delete", "success");
        Assert.Equal(1, Assert.Single(cycles.Current(T0.AddHours(-1))).Deletes);
    }

    [Fact]
    public void A_cycle_whose_last_event_left_the_window_is_no_longer_current()
    {
        var cycles = new CurrentCycles();
        cycles.Add(Job, "c1", T0, "delete", "success");
        Assert.Single(cycles.Current(T0.AddMinutes(-1)));
        Assert.Empty(cycles.Current(T0));
        // Forgotten: a new event of the same cycle starts its count again rather than resurrecting the old one.
        cycles.Add(Job, "c1", T0.AddMinutes(1), "disable", "success");
        Assert.Equal((0L, 1L), (cycles.Current(T0).Single().Deletes, cycles.Current(T0).Single().Disables));
    }
}
