using System.Net;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>The answer to one request inside a $batch. Status 0: no answer came back for it.</summary>
public sealed record BatchStepResult(int Status, string Body, TimeSpan? RetryAfter)
{
    /// <summary>Why the answer's body was replaced before the SDK read it (<see cref="LenientJson"/>); null when it was not.</summary>
    public string? Unreadable { get; init; }

    public bool IsSuccess => Unreadable is null && Status is >= 200 and < 300;
    public bool IsRetryable => Unreadable is null && Status is 0 or 429 or 503 or 504;
}

/// <summary>
/// Sends many GETs as JSON $batch requests of at most 20, with bounded concurrency per tenant. The SDK retries
/// a throttled $batch POST itself, but not a throttled request inside a batch: those are collected and sent
/// again in a new batch after the largest Retry-After among them (or exponential backoff), with jitter, a
/// bounded number of times.
/// </summary>
public sealed class GraphBatchRunner(GraphServiceClient client, int maxConcurrency, int maxRetries, TimeProvider time)
{
    public const int MaxBatchSize = 20;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(2);

    /// <summary>Every request's final result, by key.</summary>
    public async Task<IReadOnlyDictionary<string,
        BatchStepResult>> GetAllAsync(IReadOnlyList<(string Key, RequestInformation Request)> requests, CancellationToken cancellationToken)
    {
        var results = new System.Collections.Concurrent.ConcurrentDictionary<string, BatchStepResult>(StringComparer.Ordinal);
        await ForEachFinalAsync(requests, (key, result) => results[key] = result, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Calls <paramref name="onFinal"/>, possibly concurrently, with each request's final result (success, or a
    /// failure that will not be retried) as soon as its batch returns, so callers parse while the other batches
    /// are still on the wire. Nothing but the requests to retry is kept, so no response body outlives its parsing.
    /// </summary>
    public async Task ForEachFinalAsync(IReadOnlyList<(string Key, RequestInformation Request)> requests, Action<string,
        BatchStepResult> onFinal, CancellationToken cancellationToken)
    {
        var pending = requests;
        for (var attempt = 0; pending.Count > 0; attempt++)
        {
            var last = attempt >= maxRetries;
            var retryAfter = new System.Collections.Concurrent.ConcurrentDictionary<string, TimeSpan?>(StringComparer.Ordinal);
            await SendRoundAsync(pending, (key, result) =>
            {
                if (!last && result.IsRetryable) retryAfter[key] = result.RetryAfter;
                else onFinal(key, result);
            }, cancellationToken).ConfigureAwait(false);
            if (retryAfter.IsEmpty) break;
            var wait = retryAfter.Values.Max(); // each already within RetryAfter.Min..Max
            await Task.Delay(WithJitter(wait ?? Backoff(attempt)), time, cancellationToken).ConfigureAwait(false);
            pending = [.. pending.Where(p => retryAfter.ContainsKey(p.Key))]; // in request order, so retries batch as before
        }
    }

    internal static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, attempt + 1)));

    /// <summary>0–20 % extra, so tenants throttled together do not come back together.</summary>
    internal static TimeSpan WithJitter(TimeSpan delay)
        => TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, (long)(delay.Ticks * (1 + Random.Shared.NextDouble() * 0.2))));

    private async Task SendRoundAsync(IReadOnlyList<(string Key, RequestInformation Request)> requests, Action<string,
        BatchStepResult> onResult, CancellationToken cancellationToken)
    {
        var chunks = requests.Chunk(MaxBatchSize).ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, chunks.Count),
            new ParallelOptions { MaxDegreeOfParallelism = maxConcurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                foreach (var (key, result) in await SendBatchAsync(chunks[i], ct).ConfigureAwait(false)) onResult(key, result);
            }).ConfigureAwait(false);
    }

    private async Task<Dictionary<string,
        BatchStepResult>> SendBatchAsync((string Key, RequestInformation Request)[] chunk, CancellationToken cancellationToken)
    {
        var content = new BatchRequestContentCollection(client, MaxBatchSize);
        var steps = new List<(string StepId, string Key)>(chunk.Length);
        foreach (var (key, request) in chunk)
            steps.Add((await content.AddBatchRequestStepAsync(request).ConfigureAwait(false), key));

        var response = await client.Batch.PostAsync(content, cancellationToken).ConfigureAwait(false);
        var results = new Dictionary<string, BatchStepResult>(chunk.Length, StringComparer.Ordinal);
        foreach (var (stepId, key) in steps)
        {
            using var message = await response.GetResponseByIdAsync(stepId).ConfigureAwait(false);
            if (message is null)
            {
                results[key] = new BatchStepResult(0, "", null);
                continue;
            }
            if (message.Headers.TryGetValues(LenientJson.UnreadableHeader, out var why)
                || message.Content?.Headers.TryGetValues(LenientJson.UnreadableHeader, out why) == true)
            {
                results[key] = new BatchStepResult((int)message.StatusCode, "", null) { Unreadable = why.FirstOrDefault() ?? "unreadable" };
                continue;
            }
            var body = message.Content is null ? "" : await message.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            results[key] = new BatchStepResult((int)message.StatusCode, body, RetryAfterOf(message));
        }
        return results;
    }

    /// <summary>Inside a $batch the SDK gives the inner headers as they came: clamped here as at the top level.</summary>
    private TimeSpan? RetryAfterOf(HttpResponseMessage message) => RetryAfter.Of(message.Headers, time.GetUtcNow());
}
