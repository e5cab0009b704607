using EntraProvisioningExporter.Configuration;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>
/// One tenant's job-status source: rediscovery on its own, longer interval, then every known service
/// principal's jobs; each cycle publishes one immutable snapshot. A service principal whose jobs could not be
/// read this cycle, or a job that could not be mapped, keeps its last good state; the cycle then reports why.
/// </summary>
public sealed partial class TenantJobPoller(
    TenantOptions tenant,
    RuntimeConfiguration runtime,
    GraphJobSource source,
    JobSnapshotStore store,
    TimeProvider time,
    ILogger logger) : IPolledSource
{
    private IReadOnlyList<ServicePrincipalRef> known = [];
    private DateTimeOffset? lastDiscovery;

    public string TenantId { get; } = tenant.TenantId!;
    public string TenantName => tenant.DisplayName;
    public string Source => SourceNames.GraphJobs;

    public async Task<CycleOutcome> RunCycleAsync(CancellationToken cancellationToken)
    {
        var fetched = await FetchAsync(cancellationToken).ConfigureAwait(false);
        Publish(fetched);
        foreach (var problem in fetched.Problems)
            LogJobProblem(logger, tenant.DisplayName, problem.ServicePrincipalId, problem.JobId ?? "(no id)", problem.Reason);
        if (fetched.FailedServicePrincipals.Count == 0 && fetched.Problems.Count == 0) return CycleOutcome.Success;
        var reason = fetched.FailedServicePrincipals.Values.GroupBy(r => r).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault() ?? PollErrorReason.BadResponse;
        return new CycleOutcome(reason, $"{fetched.FailedServicePrincipals.Count} service principal(s) could not be read and {fetched.Problems.Count} job(s) could not be mapped; their last good values are kept.");
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
        var previous = store.Get(TenantId)?.Jobs.ToLookup(j => j.ServicePrincipalId, StringComparer.OrdinalIgnoreCase);
        var jobs = new List<JobState>();
        foreach (var sp in known)
        {
            if (fetched.JobsByServicePrincipal.TryGetValue(sp.Id, out var fresh))
            {
                jobs.AddRange(fresh);
                // A job that could not be mapped this time keeps its last good state.
                if (previous is not null)
                {
                    var bad = fetched.Problems.Where(p => p.ServicePrincipalId == sp.Id && p.JobId is not null).Select(p => p.JobId!).ToHashSet(StringComparer.Ordinal);
                    jobs.AddRange(previous[sp.Id].Where(j => bad.Contains(j.JobId)));
                }
            }
            else if (previous is not null)
            {
                jobs.AddRange(previous[sp.Id]);
            }
        }
        jobs.Sort((a, b) => string.CompareOrdinal(a.ServicePrincipalId + "/" + a.JobId, b.ServicePrincipalId + "/" + b.JobId));
        store.Publish(new TenantJobSnapshot(TenantId, jobs, time.GetUtcNow()));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: a job of service principal {ServicePrincipalId} ({JobId}) could not be mapped and keeps its last good values: {Reason}")]
    private static partial void LogJobProblem(ILogger logger, string tenant, string servicePrincipalId, string jobId, string reason);
}
