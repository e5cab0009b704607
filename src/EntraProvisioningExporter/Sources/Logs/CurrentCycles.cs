namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// Each job's current provisioning cycle, built event by event (the Graph log source reads events, not aggregates).
/// An event with a newer time and another cycle id starts a new current cycle; a late event of an older cycle is
/// ignored; an event without a cycle id is attributed to no cycle. The caller passes each event once.
/// </summary>
public sealed class CurrentCycles
{
    private readonly Dictionary<JobKey, JobCycle> cycles = [];

    public void Add(JobKey job, string? cycleId, DateTimeOffset at, string action, string status)
    {
        if (string.IsNullOrWhiteSpace(cycleId)) return;
        if (!cycles.TryGetValue(job, out var cycle)
            || (!string.Equals(cycle.CycleId, cycleId, StringComparison.Ordinal) && at > cycle.LastEvent))
            cycle = new JobCycle(job, cycleId, at, at, 0, 0, 0);
        else if (!string.Equals(cycle.CycleId, cycleId, StringComparison.Ordinal))
            return;
        var counted = status != "skipped";
        cycles[job] = cycle with
        {
            Started = at < cycle.Started ? at : cycle.Started,
            LastEvent = at > cycle.LastEvent ? at : cycle.LastEvent,
            Deletes = cycle.Deletes + (action == "delete" && counted ? 1 : 0),
            Disables = cycle.Disables + (action == "disable" && counted ? 1 : 0),
            StagedDeletes = cycle.StagedDeletes + (action == "stageddelete" ? 1 : 0),
        };
    }

    /// <summary>The cycles whose latest event is after <paramref name="activeSince"/>; older ones are forgotten.</summary>
    public IReadOnlyList<JobCycle> Current(DateTimeOffset activeSince)
    {
        foreach (var job in cycles.Where(c => c.Value.LastEvent <= activeSince).Select(c => c.Key).ToList()) cycles.Remove(job);
        return cycles.Values.OrderBy(c => c.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(c => c.Job.JobId, StringComparer.Ordinal)
            .ToList();
    }
}
