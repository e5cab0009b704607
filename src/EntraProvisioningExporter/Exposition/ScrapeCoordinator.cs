using OpenTelemetry.Metrics;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// Collects on demand for /metrics. Concurrent scrapes (two Prometheus replicas) share one in-flight
/// collection instead of collecting twice at once; collection never waits for a poll (instruments read the
/// latest snapshot).
/// </summary>
public sealed class ScrapeCoordinator(MetricReader reader, PrometheusPullExporter exporter)
{
    private static readonly TimeSpan CollectTimeout = TimeSpan.FromSeconds(10);
    private readonly object gate = new();
    private Task<ExpositionSnapshot>? inflight;

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
            try
            {
                if (!reader.Collect((int)CollectTimeout.TotalMilliseconds) || exporter.Last is not { } snapshot)
                    throw new InvalidOperationException("Metric collection did not complete.");
                mine.SetResult(snapshot);
            }
            catch (Exception ex)
            {
                mine.SetException(ex);
            }
            finally
            {
                lock (gate) inflight = null;
            }
        }, CancellationToken.None);
        return mine.Task.WaitAsync(cancellationToken);
    }
}
