using System.Collections.Concurrent;

namespace EntraProvisioningExporter.Simulator.Graph;

public sealed record RecordedRequest(DateTimeOffset At, string TenantId, string Method, string PathAndQuery, bool InBatch, int Status);

/// <summary>
/// Every request the simulator answered (top level and inside $batch): tests count calls and check budgets with it.
/// A log that does not record (the demo's) keeps nothing, so a long-running demo does not grow.
/// </summary>
public sealed class RequestLog(bool records = true)
{
    private readonly ConcurrentQueue<RecordedRequest> entries = new();

    public bool Records => records;

    public void Add(RecordedRequest request)
    {
        if (records) entries.Enqueue(request);
    }

    public IReadOnlyList<RecordedRequest> Snapshot() => entries.ToArray();

    public void Clear() => entries.Clear();
}
