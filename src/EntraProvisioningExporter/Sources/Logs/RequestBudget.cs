namespace EntraProvisioningExporter.Sources.Logs;

/// <summary>
/// A sliding-window budget for Graph's reports endpoints (about 5 requests per 10 s per app per tenant): at
/// most <c>capacity</c> requests in any 11 s, the 10 s Microsoft documents plus 10 % for network jitter
/// (users report 429s sooner than documented). A request that would have to wait past the cycle's deadline
/// is not sent: the source stops reading for this cycle and says it fell behind, rather than being throttled.
/// </summary>
public sealed class RequestBudget(int capacity, TimeProvider time)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(11);
    private readonly object gate = new();
    private readonly Queue<DateTimeOffset> sent = new();

    /// <summary>No request is started after this instant, nor one that would have to wait past it.</summary>
    public DateTimeOffset Deadline { get; set; } = DateTimeOffset.MaxValue;

    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan wait;
            lock (gate)
            {
                var now = time.GetUtcNow();
                if (now > Deadline) throw new RequestBudgetExhaustedException();
                while (sent.Count > 0 && sent.Peek() <= now - Period) sent.Dequeue();
                if (sent.Count < capacity)
                {
                    sent.Enqueue(now);
                    return;
                }
                wait = sent.Peek() + Period - now;
                if (now + wait > Deadline) throw new RequestBudgetExhaustedException();
            }
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }
}

public sealed class RequestBudgetExhaustedException() : Exception("The request budget for this cycle is spent.");

/// <summary>Innermost in the logs client's pipeline, so every attempt (retries included) spends budget.</summary>
public sealed class RequestBudgetHandler(RequestBudget budget) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await budget.AcquireAsync(cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
