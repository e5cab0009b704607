using System.Net;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// Outermost in the Graph pipeline: when the SDK's RetryHandler gives up (an AggregateException whose inner
/// exceptions carry the status only in their text), rethrows it as <see cref="GraphRetriesExhaustedException"/>
/// with the last response's status, which <see cref="HttpStatusCountingHandler"/> (innermost) records per request.
/// </summary>
public sealed class RetriesExhaustedHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // A reference: the RetryHandler's clones of the request share it, so each attempt's status lands here.
        var last = new LastResponse();
        request.Options.Set(LastResponse.Key, last);
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AggregateException ex) when (last.Status is { } status)
        {
            throw new GraphRetriesExhaustedException(status, last.Attempts, ex);
        }
    }
}

/// <summary>The status of the last response to one request and how many attempts were answered, across retries.</summary>
public sealed class LastResponse
{
    public static readonly HttpRequestOptionsKey<LastResponse> Key = new("EntraProvisioningExporter.LastResponse");

    private int status = -1;
    private int attempts;

    public HttpStatusCode? Status => Volatile.Read(ref status) is var s and >= 0 ? (HttpStatusCode)s : null;
    public int Attempts => Volatile.Read(ref attempts);

    public void Record(HttpStatusCode code)
    {
        Volatile.Write(ref status, (int)code);
        Interlocked.Increment(ref attempts);
    }

    /// <summary>Records <paramref name="response"/>'s status on the request's holder, if the pipeline set one.</summary>
    public static void RecordOn(HttpRequestMessage request, HttpResponseMessage response)
    {
        if (request.Options.TryGetValue(Key, out var last)) last.Record(response.StatusCode);
    }
}

/// <summary>Graph kept answering a retryable status (429, 503, 504) until the SDK's retries ran out.</summary>
public sealed class GraphRetriesExhaustedException(HttpStatusCode status, int attempts, AggregateException retries)
    : HttpRequestException($"Graph answered {(int)status} {status} after {attempts} attempts.", retries, status)
{
    public HttpStatusCode Status { get; } = status;
    public int Attempts { get; } = attempts;
}
