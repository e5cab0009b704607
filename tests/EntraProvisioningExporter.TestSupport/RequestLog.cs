using System.Collections.Concurrent;

namespace EntraProvisioningExporter.TestSupport;

public sealed record RecordedRequest(DateTimeOffset At, string TenantId, string Method, string PathAndQuery, bool InBatch, int Status);

/// <summary>
/// Every request the simulator answered (top level and inside $batch): tests count calls and check budgets with it.
/// </summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<RecordedRequest> entries = new();

    public void Add(RecordedRequest request) => entries.Enqueue(request);

    public IReadOnlyList<RecordedRequest> Snapshot() => entries.ToArray();

    public void Clear() => entries.Clear();
}
