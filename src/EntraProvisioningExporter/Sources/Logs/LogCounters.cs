namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// Cumulative event counts of one tenant, fed by one source. Counts are staged while a cycle reads and only
/// committed when the cycle's data is complete, so a failed or partial read never moves a counter. What is committed is
/// <see cref="Totals"/>, immutable and replaced at each commit: the source's state, which each snapshot carries as is.
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
    private readonly Staged<(JobKey Job, string Action, string Status)> events = new();
    private readonly Dictionary<(JobKey Job, string Code), long> stagedErrors = [];

    /// <summary>Each job's error codes with a series of their own (an index of <see cref="LogTotals.Errors"/>, kept with it).</summary>
    private readonly Dictionary<JobKey, HashSet<string>> admitted = [];
    private readonly Staged<(JobKey Job, string Code)> steps = new();
    private readonly Staged<string> initiators = new();
    private readonly Staged<string> identities = new();
    private readonly Staged<JobKey> timed = new();
    private readonly Staged<(string Action, int Bucket)> histogram = new();

    /// <summary>The counts as of the last commit.</summary>
    public LogTotals Totals { get; private set; } = LogTotals.None;

    /// <summary>Stages <paramref name="count"/> events (already normalised); failures also count by error code.</summary>
    public void Stage(JobKey job, string action, string status, string? errorCode, long count) =>
        Stage(job, action, status, errorCode, count, EventDetail.None);

    /// <summary>Stages <paramref name="count"/> events with what else they say (<paramref name="detail"/>).</summary>
    public void Stage(JobKey job, string action, string status, string? errorCode, long count, EventDetail detail)
    {
        if (count <= 0) return;
        initiators.Add(detail.Initiator, count);
        identities.Add(detail.Identity, count);
        if (status == "failure" && detail.FailedStep is { } step) steps.Add((job, step), count);
        if (detail.Timed)
        {
            timed.Add(job, count, detail.DurationSeconds);
            histogram.Add((action, detail.DurationBucket), count, detail.DurationSeconds);
        }
        events.Add((job, action, status), count);
        if (status == "failure")
        {
            var code = (job, errorCode ?? LogNormalization.UnspecifiedErrorCode);
            stagedErrors[code] = stagedErrors.GetValueOrDefault(code) + count;
        }
    }

    public void DiscardStaged()
    {
        stagedErrors.Clear();
        foreach (var staged in (IStaged[])[events, steps, initiators, identities, timed, histogram]) staged.Clear();
    }

    public void Commit()
    {
        if (events.IsEmpty) return; // every other count is staged with an event
        var t = Totals;
        Totals = new LogTotals(
            events.MergeInto(t.Events, e => ((e.Job, e.Action, e.Status), e.Count, 0), EventOrder,
                (k, count, _) => new EventCounter(k.Job, k.Action, k.Status, count)),
            MergeErrors(t.Errors, out var admittedNow))
        {
            StepFailures = steps.MergeInto(t.StepFailures, e => ((e.Job, e.Step), e.Count, 0), CodeOrder,
                (k, count, _) => new StepFailureCounter(k.Job, k.Code, count)),
            Initiators = initiators.MergeInto(t.Initiators, e => (e.Value, e.Count, 0), StringComparer.Ordinal,
                (k, count, _) => new TenantEventCounter(k, count)),
            IdentityTypes = identities.MergeInto(t.IdentityTypes, e => (e.Value, e.Count, 0), StringComparer.Ordinal,
                (k, count, _) => new TenantEventCounter(k, count)),
            Durations = timed.MergeInto(t.Durations, e => (e.Job, e.Count, e.Seconds), JobOrder,
                (k, count, seconds) => new DurationCounter(k, count, seconds)),
            DurationHistograms = Histograms(t.DurationHistograms),
        };
        // Only now that nothing can throw: a commit changes all of its state or none.
        foreach (var (job, codes) in admittedNow) admitted[job] = codes;
        DiscardStaged();
    }

    /// <summary>By service principal and job; the tenant last, so that the order agrees with JobKey's equality.</summary>
    private static readonly IComparer<JobKey> JobOrder = Comparer<JobKey>.Create((a, b) =>
        string.CompareOrdinal(a.ServicePrincipalId, b.ServicePrincipalId) is var sp and not 0 ? sp
            : string.CompareOrdinal(a.JobId, b.JobId) is var job and not 0 ? job : string.CompareOrdinal(a.TenantId, b.TenantId));

    private static readonly IComparer<(JobKey Job, string Action, string Status)> EventOrder =
        Comparer<(JobKey Job, string Action, string Status)>.Create((a, b) => JobOrder.Compare(a.Job, b.Job) is var j and not 0 ? j
            : string.CompareOrdinal(a.Action, b.Action) is var x and not 0 ? x : string.CompareOrdinal(a.Status, b.Status));

    /// <summary>By job, then by a code of the job's (an error code, a step type).</summary>
    private static readonly IComparer<(JobKey Job, string Code)> CodeOrder = Comparer<(JobKey Job, string Code)>.Create((a, b) =>
        JobOrder.Compare(a.Job, b.Job) is var j and not 0 ? j : string.CompareOrdinal(a.Code, b.Code));

    /// <summary>The committed error counts with the staged ones added, admitting new codes while a job has slots.</summary>
    private IReadOnlyList<ErrorCounter> MergeErrors(IReadOnlyList<ErrorCounter> committed,
        out Dictionary<JobKey, HashSet<string>> admittedNow)
    {
        var labelled = new Staged<(JobKey Job, string Code)>();
        admittedNow = [];
        foreach (var group in stagedErrors.GroupBy(e => e.Key.Job))
        {
            var codes = admittedNow[group.Key] = admitted.TryGetValue(group.Key, out var before)
                ? new HashSet<string>(before, StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, count) in group.OrderByDescending(e => e.Value).ThenBy(e => e.Key.Code, StringComparer.Ordinal))
            {
                if (!codes.Contains(key.Code) && codes.Count < maxErrorCodesPerJob) codes.Add(key.Code);
                labelled.Add((key.Job, codes.Contains(key.Code) ? key.Code : LogNormalization.OtherErrorCode), count);
            }
        }
        return labelled.MergeInto(committed, e => ((e.Job, e.ErrorCode), e.Count, 0), CodeOrder,
            (k, count, _) => new ErrorCounter(k.Job, k.Code, count));
    }

    /// <summary>The committed histograms with the staged durations added, bucket by bucket.</summary>
    private IReadOnlyList<DurationHistogram> Histograms(IReadOnlyList<DurationHistogram> committed)
    {
        if (histogram.IsEmpty) return committed;
        var buckets = histogram.MergeInto(
            [.. committed.SelectMany(h => Enumerable.Range(0, EventDurations.Count).Select(b => (h.Action, b, h.Counts[b], h.Seconds[b])))],
            e => ((e.Item1, e.Item2), e.Item3, e.Item4), BucketOrder, (k, count, seconds) => (k.Action, k.Bucket, count, seconds));
        return [.. buckets.GroupBy(b => b.Item1).Select(action =>
        {
            var (counts, seconds) = (new long[EventDurations.Count], new double[EventDurations.Count]);
            foreach (var (_, bucket, count, sum) in action) (counts[bucket], seconds[bucket]) = (count, sum);
            return new DurationHistogram(action.Key, counts, seconds);
        })];
    }

    private static readonly IComparer<(string Action, int Bucket)> BucketOrder = Comparer<(string Action, int Bucket)>.Create((a, b) =>
        string.CompareOrdinal(a.Action, b.Action) is var x and not 0 ? x : a.Bucket.CompareTo(b.Bucket));

    private interface IStaged
    {
        void Clear();
    }

    /// <summary>Staged counts by key, and the seconds they took where timed.</summary>
    private sealed class Staged<TKey> : IStaged where TKey : notnull
    {
        private readonly Dictionary<TKey, (long Count, double Seconds)> staged = [];

        public bool IsEmpty => staged.Count == 0;

        public void Add(TKey key, long count, double seconds = 0)
        {
            var (c, s) = staged.GetValueOrDefault(key);
            staged[key] = (c + count, s + seconds);
        }

        public void Clear() => staged.Clear();

        /// <summary>
        /// The committed rows (sorted by <paramref name="order"/>) with the staged counts added, still sorted: one pass over
        /// both, and a row nothing was staged for is the same object as before.
        /// </summary>
        public IReadOnlyList<TRow> MergeInto<TRow>(IReadOnlyList<TRow> committed, Func<TRow, (TKey Key, long Count, double Seconds)> read,
            IComparer<TKey> order, Func<TKey, long, double, TRow> row)
        {
            if (staged.Count == 0) return committed;
            var added = staged.OrderBy(e => e.Key, order).ToList();
            var merged = new List<TRow>(committed.Count + added.Count);
            var (i, j) = (0, 0);
            while (i < committed.Count && j < added.Count)
            {
                var (key, count, seconds) = read(committed[i]);
                var (addedKey, (addedCount, addedSeconds)) = added[j];
                var c = order.Compare(key, addedKey);
                if (c < 0) merged.Add(committed[i++]);
                else if (c > 0) { merged.Add(row(addedKey, addedCount, addedSeconds)); j++; }
                else { merged.Add(row(key, count + addedCount, seconds + addedSeconds)); i++; j++; }
            }
            for (; i < committed.Count; i++) merged.Add(committed[i]);
            for (; j < added.Count; j++) merged.Add(row(added[j].Key, added[j].Value.Count, added[j].Value.Seconds));
            return merged;
        }
    }
}
