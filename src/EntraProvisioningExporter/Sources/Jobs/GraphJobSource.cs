using System.Text.Json;
using EntraProvisioningExporter.Sources.Graph;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;

namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>What one fetch of a set of service principals' jobs gave: the jobs of those that answered, and the failures.</summary>
public sealed record JobFetchResult(
    IReadOnlyDictionary<string, IReadOnlyList<JobState>> JobsByServicePrincipal,
    IReadOnlyDictionary<string, string> FailedServicePrincipals,
    IReadOnlyList<JobParseProblem> Problems);

/// <summary>
/// Reads a tenant's provisioning jobs from Graph with the Microsoft.Graph SDK: discovery of the service
/// principals that have jobs (or names of the configured ones), then the jobs of each through $batch.
/// </summary>
public sealed class GraphJobSource(string tenantId, GraphServiceClient client, GraphBatchRunner batch, SourceDrops drops)
{
    /// <summary>
    /// The page budget of one collection in one cycle: the service principal list, or one service principal's jobs.
    /// Past it the rest is not read this cycle (counted as a page_budget drop); what was read is kept. A next-link
    /// that repeats is caught sooner, by the visited set, as a bad response.
    /// </summary>
    public const int MaxPages = PageBudget.MaxPagesPerCollection;

    /// <summary>
    /// Lists every service principal (id and name only) and asks each for its jobs, 20 to a $batch.
    /// Returns those that have jobs, with the jobs already fetched so the cycle need not ask again.
    /// </summary>
    public async Task<(IReadOnlyList<ServicePrincipalRef> WithJobs, JobFetchResult Jobs)> DiscoverAsync(CancellationToken cancellationToken)
    {
        var all = new List<ServicePrincipalRef>();
        var request = client.ServicePrincipals.ToGetRequestInformation(r =>
        {
            r.QueryParameters.Select = ["id", "displayName"];
            r.QueryParameters.Top = 999;
        });
        var visited = new HashSet<string>(StringComparer.Ordinal);
        for (var pages = 1; ; pages++)
        {
            var next = await ReadPageAsync(request, all, cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(next)) break;
            if (!visited.Add(next))
                throw new InvalidDataException("Graph's service principal paging did not end: a next-link repeated.");
            if (pages >= MaxPages)
            {
                drops.Drop(DropReason.PageBudget, "servicePrincipals",
                    $"the service principal list has more than {MaxPages} pages; the {all.Count} read are kept");
                break;
            }
            request = client.ServicePrincipals.WithUrl(next).ToGetRequestInformation();
        }
        var jobs = await FetchJobsAsync(all, cancellationToken).ConfigureAwait(false);
        var withJobs = all.Where(sp => jobs.JobsByServicePrincipal.TryGetValue(sp.Id, out var j) && j.Count > 0
            || jobs.FailedServicePrincipals.ContainsKey(sp.Id)).ToList();
        return (withJobs, jobs);
    }

    /// <summary>
    /// One page of the service principal list, read as JSON (id and displayName of each) rather than into the SDK's
    /// ServicePrincipal model: that model reaches most of Graph's model types, which would otherwise all be compiled
    /// into the native binary. Errors still come back as the SDK's ODataError. Returns the next link, if any.
    /// </summary>
    private async Task<string?> ReadPageAsync(RequestInformation request, List<ServicePrincipalRef> into,
        CancellationToken cancellationToken)
    {
        var (page, value) = await GraphPage.ReadAsync(client.RequestAdapter, request, "service principal list", cancellationToken)
            .ConfigureAwait(false);
        using (page)
        {
            foreach (var sp in value.EnumerateArray())
            {
                if (GraphJson.String(sp, "id") is not { } id) continue; // not a service principal we could ask about
                if (!LabelCap.IdFits(id))
                    drops.Drop(DropReason.IdTooLong, id,
                        $"the service principal id is {id.Length} characters, over the {LabelCap.MaxBytes}-byte label cap");
                else
                    into.Add(new ServicePrincipalRef(id, LabelCap.Name(GraphJson.String(sp, "displayName") ?? id)));
            }
            return GraphJson.String(page.RootElement, "@odata.nextLink");
        }
    }

    /// <summary>Looks up the display names of explicitly configured service principals (one $batch per 20).</summary>
    public async Task<IReadOnlyList<ServicePrincipalRef>> ResolveAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var requests = ids.Select(id => (id,
            client.ServicePrincipals[id].ToGetRequestInformation(r => r.QueryParameters.Select = ["id", "displayName"]))).ToList();
        var results = await batch.GetAllAsync(requests, cancellationToken).ConfigureAwait(false);
        return ids.Select(id => new ServicePrincipalRef(id,
            LabelCap.Name(results.TryGetValue(id, out var r) && r.IsSuccess ? DisplayNameOf(r.Body) ?? id : id))).ToList();
    }

    public async Task<JobFetchResult> FetchJobsAsync(IReadOnlyList<ServicePrincipalRef> servicePrincipals,
        CancellationToken cancellationToken)
    {
        var requests = servicePrincipals.Select(sp => (sp.Id,
            client.ServicePrincipals[sp.Id].Synchronization.Jobs.ToGetRequestInformation())).ToList();
        var byId = servicePrincipals.ToDictionary(sp => sp.Id, StringComparer.Ordinal);
        var jobs = new System.Collections.Concurrent.ConcurrentDictionary<string,
            IReadOnlyList<JobState>>(StringComparer.OrdinalIgnoreCase);
        var failed = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var problems = new System.Collections.Concurrent.ConcurrentQueue<JobParseProblem>();
        var more = new System.Collections.Concurrent.ConcurrentQueue<(ServicePrincipalRef Sp, List<JobState> Jobs, string Next)>();
        // Each batch's jobs are parsed as soon as it returns, while the others are still in flight.
        await batch.ForEachFinalAsync(requests, (id, result) =>
        {
            var sp = byId[id];
            if (result.Unreadable is { } why)
            {
                jobs[sp.Id] = []; // what cannot be read is not shown, rather than shown stale
                drops.Drop(DropReason.Unreadable, sp.Id, $"the service principal's jobs could not be read: {why}; its jobs are dropped");
                return;
            }
            if (result.Status == 404)
            {
                jobs[sp.Id] = []; // deleted since discovery: its jobs are gone
                return;
            }
            if (!result.IsSuccess)
            {
                failed[sp.Id] = PollErrorReason.FromStatus(result.Status);
                return;
            }
            if (ParsePage(sp, result.Body, problems) is not { } page)
            {
                jobs[sp.Id] = [];
                return;
            }
            if (page.NextLink is { } next) more.Enqueue((sp, [.. page.Jobs], next));
            else jobs[sp.Id] = page.Jobs;
        }, cancellationToken).ConfigureAwait(false);
        // Job lists of more than one page (rare: a service principal has a job or two) are followed outside the batch.
        foreach (var (sp, read, next) in more)
            await FollowAsync(sp, read, next, jobs, failed, problems, cancellationToken).ConfigureAwait(false);
        foreach (var p in problems) drops.Drop(p.DropReason, p.JobId ?? p.ServicePrincipalId, p.Detail);
        return new JobFetchResult(
            new Dictionary<string, IReadOnlyList<JobState>>(jobs, StringComparer.OrdinalIgnoreCase),
            new Dictionary<string, string>(failed, StringComparer.OrdinalIgnoreCase),
            [.. problems.OrderBy(p => p.ServicePrincipalId, StringComparer.Ordinal).ThenBy(p => p.JobId, StringComparer.Ordinal)]);
    }

    /// <summary>One page of jobs, or null (the service principal's jobs dropped, with the problem) when the page cannot be read.</summary>
    private ParsedJobs? ParsePage(ServicePrincipalRef sp, string body,
        System.Collections.Concurrent.ConcurrentQueue<JobParseProblem> problems)
    {
        try
        {
            var parsed = JobPayloadParser.Parse(tenantId, sp, body);
            foreach (var problem in parsed.Problems) problems.Enqueue(problem);
            return parsed;
        }
        catch (JsonException ex)
        {
            problems.Enqueue(new JobParseProblem(sp.Id, null, DropReason.Unreadable,
                $"the service principal's jobs could not be read ({ex.Message}); its jobs are dropped"));
            return null;
        }
    }

    private async Task FollowAsync(ServicePrincipalRef sp, List<JobState> read, string next,
        System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<JobState>> jobs,
        System.Collections.Concurrent.ConcurrentDictionary<string, string> failed,
        System.Collections.Concurrent.ConcurrentQueue<JobParseProblem> problems, CancellationToken cancellationToken)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        for (var pages = 1; next is not null; pages++)
        {
            if (!visited.Add(next))
            {
                failed[sp.Id] = PollErrorReason.BadResponse; // a loop: nothing says where the list ends
                return;
            }
            if (pages >= MaxPages)
            {
                problems.Enqueue(new JobParseProblem(sp.Id, null, DropReason.PageBudget,
                    $"the jobs list has more than {MaxPages} pages; the {read.Count} jobs read are kept"));
                break;
            }
            string body;
            try
            {
                var request = client.ServicePrincipals[sp.Id].Synchronization.Jobs.WithUrl(next).ToGetRequestInformation();
                var stream = await client.RequestAdapter.SendPrimitiveAsync<Stream>(request, GraphPage.ODataErrors, cancellationToken)
                    .ConfigureAwait(false);
                if (stream is null)
                {
                    failed[sp.Id] = PollErrorReason.BadResponse;
                    return;
                }
                await using (stream.ConfigureAwait(false))
                using (var reader = new StreamReader(stream))
                    body = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failed[sp.Id] = PollErrorClassifier.Classify(ex).Reason;
                return;
            }
            if (ParsePage(sp, body, problems) is not { } page)
            {
                jobs[sp.Id] = [];
                return;
            }
            var known = read.Select(j => j.JobId).ToHashSet(StringComparer.Ordinal);
            foreach (var job in page.Jobs)
            {
                if (known.Add(job.JobId)) read.Add(job);
                else problems.Enqueue(new JobParseProblem(sp.Id, job.JobId, DropReason.Invalid,
                    "the job id appears on two pages; the first is kept"));
            }
            next = page.NextLink!;
        }
        jobs[sp.Id] = read;
    }

    private static string? DisplayNameOf(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return GraphJson.String(doc.RootElement, "displayName");
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
