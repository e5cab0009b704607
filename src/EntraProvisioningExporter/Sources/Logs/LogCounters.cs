namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// Cumulative event counts of one tenant, fed by one source. Counts are staged while a cycle reads and only
/// committed when the cycle's data is complete, so a failed or partial read never moves a counter.
///
/// Error codes per job are bounded: a job has at most N codes of its own; at each commit, new codes are
/// admitted most frequent first while slots remain, and every other code counts as "other". A code once
/// admitted keeps its series (so no counter ever moves between series and no rate() sees a false jump).
/// </summary>
public sealed class LogCounters(int maxErrorCodesPerJob)
{
    private readonly Dictionary<(JobKey Job, string Action, string Status), long> events = [];
    private readonly Dictionary<(JobKey Job, string Code), long> errors = [];
    private readonly Dictionary<JobKey, HashSet<string>> admitted = [];
    private readonly Dictionary<(JobKey Job, string Action, string Status), long> stagedEvents = [];
    private readonly Dictionary<(JobKey Job, string Code), long> stagedErrors = [];

    /// <summary>Stages <paramref name="count"/> events (already normalised); failures also count by error code.</summary>
    public void Stage(JobKey job, string action, string status, string? errorCode, long count)
    {
        if (count <= 0) return;
        var key = (job, action, status);
        stagedEvents[key] = stagedEvents.GetValueOrDefault(key) + count;
        if (status == "failure")
        {
            var code = (job, errorCode ?? LogNormalization.UnspecifiedErrorCode);
            stagedErrors[code] = stagedErrors.GetValueOrDefault(code) + count;
        }
    }

    public void DiscardStaged()
    {
        stagedEvents.Clear();
        stagedErrors.Clear();
    }

    public void Commit()
    {
        foreach (var (key, count) in stagedEvents) events[key] = events.GetValueOrDefault(key) + count;
        foreach (var group in stagedErrors.GroupBy(e => e.Key.Job))
        {
            if (!admitted.TryGetValue(group.Key, out var codes)) admitted[group.Key] = codes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, count) in group.OrderByDescending(e => e.Value).ThenBy(e => e.Key.Code, StringComparer.Ordinal))
            {
                if (!codes.Contains(key.Code) && codes.Count < maxErrorCodesPerJob) codes.Add(key.Code);
                var label = codes.Contains(key.Code) ? key.Code : LogNormalization.OtherErrorCode;
                errors[(key.Job, label)] = errors.GetValueOrDefault((key.Job, label)) + count;
            }
        }
        DiscardStaged();
    }

    public IReadOnlyList<EventCounter> Events() =>
        events.Select(e => new EventCounter(e.Key.Job, e.Key.Action, e.Key.Status, e.Value))
            .OrderBy(e => e.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(e => e.Job.JobId, StringComparer.Ordinal)
            .ThenBy(e => e.Action, StringComparer.Ordinal).ThenBy(e => e.Status, StringComparer.Ordinal).ToList();

    public IReadOnlyList<ErrorCounter> Errors() =>
        errors.Select(e => new ErrorCounter(e.Key.Job, e.Key.Code, e.Value))
            .OrderBy(e => e.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(e => e.Job.JobId, StringComparer.Ordinal)
            .ThenBy(e => e.ErrorCode, StringComparer.Ordinal).ToList();
}
