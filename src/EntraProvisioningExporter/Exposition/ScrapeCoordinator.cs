namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Collects the live instruments on demand for /metrics. Concurrent scrapes (two Prometheus replicas) share one in-flight
/// collection instead of collecting twice at once; a scrape that arrives after it finished starts a new one,
/// so no scrape ever gets a result older than its own arrival. Collection never waits for a poll
/// (instruments read the latest snapshot).
/// </summary>
public sealed class ScrapeCoordinator
{
    private readonly Func<ExpositionSnapshot> collect;
    private readonly object gate = new();
    private Task<ExpositionSnapshot>? inflight;

    public ScrapeCoordinator(Func<ExpositionSnapshot> collect) => this.collect = collect;

    public Task<ExpositionSnapshot> CollectAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<ExpositionSnapshot> mine;
        lock (gate)
        {
            if (inflight is { } shared) return shared.WaitAsync(cancellationToken);
            mine = new TaskCompletionSource<ExpositionSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
            inflight = mine.Task;
        }
        _ = Task.Run(() =>
        {
            ExpositionSnapshot? result = null;
            Exception? error = null;
            try { result = collect(); }
            catch (Exception ex) { error = ex; }
            // Stop sharing before completing, so nobody who arrives from now on is handed this result.
            lock (gate) inflight = null;
            if (error is null) mine.SetResult(result!);
            else mine.SetException(error);
        }, CancellationToken.None);
        return mine.Task.WaitAsync(cancellationToken);
    }
}
