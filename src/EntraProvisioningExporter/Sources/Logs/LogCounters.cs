namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// Cumulative event counts of one tenant, fed by one source. Counts are staged while a cycle reads and only
/// committed when the cycle's data is complete, so a failed or partial read never moves a counter.
///
/// Error codes per job are bounded: a job has at most N codes of its own; at each commit, new codes are
/// admitted most frequent first while slots remain, and every other code counts as "other". A code once
/// admitted keeps its series (so no counter ever moves between series and no rate() sees a false jump).
///
/// Beside them, from the same events and committed with them: failures by failing step per job, the tenant's events by
/// initiator and by identity type, each job's timed events with their summed durations, and the tenant's durations by
/// action and bucket.
/// </summary>
public sealed class LogCounters(int maxErrorCodesPerJob)
{
    private readonly Tally<(JobKey Job, string Step)> steps = new();
    private readonly Tally<string> initiators = new();
    private readonly Tally<string> identities = new();
    private readonly Tally<JobKey> timed = new();
    private readonly Tally<(string Action, int Bucket)> histogram = new();

    /// <summary>The detail counts, staged, committed and discarded with the events.</summary>
    private IStaged[] DetailTallies => [steps, initiators, identities, timed, histogram];

    private readonly Dictionary<(JobKey Job, string Action, string Status), long> events = [];
    private readonly Dictionary<(JobKey Job, string Code), long> errors = [];
    private readonly Dictionary<JobKey, HashSet<string>> admitted = [];
    private readonly Dictionary<(JobKey Job, string Action, string Status), long> stagedEvents = [];
    private readonly Dictionary<(JobKey Job, string Code), long> stagedErrors = [];

    /// <summary>Stages <paramref name="count"/> events (already normalised); failures also count by error code.</summary>
    public void Stage(JobKey job, string action, string status, string? errorCode, long count) =>
        Stage(job, action, status, errorCode, count, EventDetail.None);

    /// <summary>Stages <paramref name="count"/> events with what else they say (<paramref name="detail"/>).</summary>
    public void Stage(JobKey job, string action, string status, string? errorCode, long count, EventDetail detail)
    {
        if (count <= 0) return;
        initiators.Stage(detail.Initiator, count);
        identities.Stage(detail.Identity, count);
        if (status == "failure" && detail.FailedStep is { } step) steps.Stage((job, step), count);
        if (detail.Timed)
        {
            timed.Stage(job, count, detail.DurationSeconds);
            histogram.Stage((action, detail.DurationBucket), count, detail.DurationSeconds);
        }
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
        foreach (var tally in DetailTallies) tally.DiscardStaged();
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
        foreach (var tally in DetailTallies) tally.Commit();
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

    /// <summary>The snapshot with the detail counts as of the last commit.</summary>
    public TenantLogSnapshot Details(TenantLogSnapshot snapshot) => snapshot with
    {
        StepFailures = StepFailures(), Initiators = Initiators(), IdentityTypes = IdentityTypes(), Durations = Durations(),
        DurationHistograms = DurationHistograms(),
    };

    public IReadOnlyList<DurationHistogram> DurationHistograms() =>
        histogram.Counts.Keys.Select(k => k.Action).Distinct().Order(StringComparer.Ordinal).Select(action => new DurationHistogram(action,
            [.. Enumerable.Range(0, EventDurations.Count).Select(b => histogram.Counts.GetValueOrDefault((action, b)).Count)],
            [.. Enumerable.Range(0, EventDurations.Count).Select(b => histogram.Counts.GetValueOrDefault((action, b)).Seconds)])).ToList();

    public IReadOnlyList<StepFailureCounter> StepFailures() =>
        steps.Counts.Select(e => new StepFailureCounter(e.Key.Job, e.Key.Step, e.Value.Count))
            .OrderBy(e => e.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(e => e.Job.JobId, StringComparer.Ordinal)
            .ThenBy(e => e.Step, StringComparer.Ordinal).ToList();

    public IReadOnlyList<TenantEventCounter> Initiators() => Tenant(initiators);

    public IReadOnlyList<TenantEventCounter> IdentityTypes() => Tenant(identities);

    public IReadOnlyList<DurationCounter> Durations() =>
        timed.Counts.Select(e => new DurationCounter(e.Key, e.Value.Count, e.Value.Seconds))
            .OrderBy(e => e.Job.ServicePrincipalId, StringComparer.Ordinal).ThenBy(e => e.Job.JobId, StringComparer.Ordinal).ToList();

    private static IReadOnlyList<TenantEventCounter> Tenant(Tally<string> tally) =>
        tally.Counts.Select(e => new TenantEventCounter(e.Key, e.Value.Count)).OrderBy(e => e.Value, StringComparer.Ordinal).ToList();

    private interface IStaged
    {
        void Commit();
        void DiscardStaged();
    }

    /// <summary>Counts by key, and the seconds they took where timed: staged, then committed or discarded.</summary>
    private sealed class Tally<TKey> : IStaged where TKey : notnull
    {
        private readonly Dictionary<TKey, (long Count, double Seconds)> staged = [];

        public Dictionary<TKey, (long Count, double Seconds)> Counts { get; } = [];

        public void Stage(TKey key, long count, double seconds = 0) => staged[key] = Add(staged.GetValueOrDefault(key), (count, seconds));

        public void DiscardStaged() => staged.Clear();

        public void Commit()
        {
            foreach (var (key, value) in staged) Counts[key] = Add(Counts.GetValueOrDefault(key), value);
            staged.Clear();
        }

        private static (long, double) Add((long Count, double Seconds) a, (long Count, double Seconds) b)
            => (a.Count + b.Count, a.Seconds + b.Seconds);
    }
}
