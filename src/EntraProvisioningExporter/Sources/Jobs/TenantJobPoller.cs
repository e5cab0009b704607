using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>
/// One tenant's job-status source: rediscovery on its own, longer interval, then every known service
/// principal's jobs; each cycle publishes one immutable snapshot. A service principal whose jobs Graph did not give
/// this cycle (an error status) keeps its last good state, and the cycle reports why. An object that Graph gave but
/// that cannot be read (a job, or one service principal's whole list) is dropped and counted (DroppedObjects): the
/// source stays up for everything else it read.
/// </summary>
public sealed class TenantJobPoller(
    TenantOptions tenant,
    RuntimeConfiguration runtime,
    GraphJobSource source,
    TenantSnapshotStore store,
    TimeProvider time) : IPolledSource
{
    private IReadOnlyList<ServicePrincipalRef> known = [];
    private IReadOnlyList<JobState> published = [];
    private DateTimeOffset? lastDiscovery;

    public string TenantId { get; } = tenant.TenantId!;
    public string TenantName => tenant.DisplayName;
    public string Source => SourceNames.GraphJobs;

    public async Task<CycleOutcome> RunCycleAsync(CancellationToken cancellationToken)
    {
        var fetched = await FetchAsync(cancellationToken).ConfigureAwait(false);
        Publish(fetched);
        if (fetched.FailedServicePrincipals.Count == 0) return CycleOutcome.Success;
        var reason = fetched.FailedServicePrincipals.Values.GroupBy(r => r).OrderByDescending(g => g.Count()).Select(g => g.Key).First();
        return new CycleOutcome(reason,
            $"{fetched.FailedServicePrincipals.Count} service principal(s) could not be read; their last good values are kept.");
    }

    private async Task<JobFetchResult> FetchAsync(CancellationToken token)
    {
        var now = time.GetUtcNow();
        if (lastDiscovery is null || now - lastDiscovery >= runtime.Options.DiscoveryInterval)
        {
            if (tenant.ServicePrincipals.Count > 0)
            {
                known = await source.ResolveAsync(tenant.ServicePrincipals, token).ConfigureAwait(false);
                lastDiscovery = now;
            }
            else
            {
                var (withJobs, jobs) = await source.DiscoverAsync(token).ConfigureAwait(false);
                known = withJobs;
                lastDiscovery = now;
                return jobs;
            }
        }
        return await source.FetchJobsAsync(known, token).ConfigureAwait(false);
    }

    private void Publish(JobFetchResult fetched)
    {
        var previous = published.ToLookup(j => j.ServicePrincipalId, StringComparer.OrdinalIgnoreCase);
        var jobs = new List<JobState>();
        foreach (var sp in known)
        {
            if (fetched.JobsByServicePrincipal.TryGetValue(sp.Id, out var fresh))
            {
                jobs.AddRange(fresh); // a job dropped this time is not shown stale: its drop is counted instead
            }
            else
            {
                jobs.AddRange(previous[sp.Id]);
            }
        }
        jobs.Sort((a, b) => string.CompareOrdinal(a.ServicePrincipalId + "/" + a.JobId, b.ServicePrincipalId + "/" + b.JobId));
        published = jobs;
        store.PublishJobs(new TenantJobSnapshot(TenantId, jobs, time.GetUtcNow()));
    }
}
