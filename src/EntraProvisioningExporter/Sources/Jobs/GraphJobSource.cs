using System.Text.Json;
using EntraProvisioningExporter.Sources.Graph;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

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
public sealed class GraphJobSource(string tenantId, GraphServiceClient client, GraphBatchRunner batch)
{
    /// <summary>A guard against a next-link that never ends (a loop is caught sooner, by the visited set).</summary>
    public const int MaxPages = 10_000;

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
        while (true)
        {
            var next = await ReadPageAsync(request, all, cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(next)) break;
            if (!visited.Add(next) || visited.Count > MaxPages)
                throw new InvalidDataException("Graph's service principal paging did not end: a next-link repeated.");
            request = client.ServicePrincipals.WithUrl(next).ToGetRequestInformation();
        }
        var jobs = await FetchJobsAsync(all, cancellationToken).ConfigureAwait(false);
        var withJobs = all.Where(sp => jobs.JobsByServicePrincipal.TryGetValue(sp.Id, out var j) && j.Count > 0 || jobs.FailedServicePrincipals.ContainsKey(sp.Id)).ToList();
        return (withJobs, jobs);
    }

    /// <summary>
    /// One page of the service principal list, read as JSON (id and displayName of each) rather than into the SDK's
    /// ServicePrincipal model: that model reaches most of Graph's model types, which would otherwise all be compiled
    /// into the native binary. Errors still come back as the SDK's ODataError. Returns the next link, if any.
    /// </summary>
    private async Task<string?> ReadPageAsync(RequestInformation request, List<ServicePrincipalRef> into, CancellationToken cancellationToken)
    {
        var stream = await client.RequestAdapter.SendPrimitiveAsync<Stream>(request, ODataErrors, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException("Graph answered the service principal list with an empty body.");
        await using (stream.ConfigureAwait(false))
        {
            using var page = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            var root = page.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException("Graph's service principal list has no 'value' array.");
            foreach (var sp in value.EnumerateArray())
                if (GraphJson.String(sp, "id") is { } id)
                    into.Add(new ServicePrincipalRef(id, GraphJson.String(sp, "displayName") ?? id));
            return GraphJson.String(root, "@odata.nextLink");
        }
    }

    private static readonly Dictionary<string, ParsableFactory<IParsable>> ODataErrors = new() { ["XXX"] = ODataError.CreateFromDiscriminatorValue };

    /// <summary>Looks up the display names of explicitly configured service principals (one $batch per 20).</summary>
    public async Task<IReadOnlyList<ServicePrincipalRef>> ResolveAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var requests = ids.Select(id => (id, client.ServicePrincipals[id].ToGetRequestInformation(r => r.QueryParameters.Select = ["id", "displayName"]))).ToList();
        var results = await batch.GetAllAsync(requests, cancellationToken).ConfigureAwait(false);
        return ids.Select(id => new ServicePrincipalRef(id, results.TryGetValue(id, out var r) && r.IsSuccess ? DisplayNameOf(r.Body) ?? id : id)).ToList();
    }

    public async Task<JobFetchResult> FetchJobsAsync(IReadOnlyList<ServicePrincipalRef> servicePrincipals, CancellationToken cancellationToken)
    {
        var requests = servicePrincipals.Select(sp => (sp.Id, client.ServicePrincipals[sp.Id].Synchronization.Jobs.ToGetRequestInformation())).ToList();
        var byId = servicePrincipals.ToDictionary(sp => sp.Id, StringComparer.Ordinal);
        var jobs = new System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<JobState>>(StringComparer.OrdinalIgnoreCase);
        var failed = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var problems = new System.Collections.Concurrent.ConcurrentQueue<JobParseProblem>();
        // Each batch's jobs are parsed as soon as it returns, while the others are still in flight.
        await batch.ForEachFinalAsync(requests, (id, result) =>
        {
            var sp = byId[id];
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
            try
            {
                var parsed = JobPayloadParser.Parse(tenantId, sp, result.Body);
                jobs[sp.Id] = parsed.Jobs;
                foreach (var problem in parsed.Problems) problems.Enqueue(problem);
            }
            catch (JsonException ex)
            {
                failed[sp.Id] = PollErrorReason.BadResponse;
                problems.Enqueue(new JobParseProblem(sp.Id, null, ex.Message));
            }
        }, cancellationToken).ConfigureAwait(false);
        return new JobFetchResult(
            new Dictionary<string, IReadOnlyList<JobState>>(jobs, StringComparer.OrdinalIgnoreCase),
            new Dictionary<string, string>(failed, StringComparer.OrdinalIgnoreCase),
            [.. problems.OrderBy(p => p.ServicePrincipalId, StringComparer.Ordinal).ThenBy(p => p.JobId, StringComparer.Ordinal)]);
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
