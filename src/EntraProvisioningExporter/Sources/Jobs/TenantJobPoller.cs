using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>
/// One tenant's job-status polling loop: a cycle at start, then one every PollInterval (on TimeProvider time),
/// each bounded by PollTimeout; rediscovery on its own, longer interval. Each cycle publishes one immutable
/// snapshot. A service principal whose jobs could not be read this cycle keeps its last good jobs; the source
/// reports why it is not up.
/// </summary>
public sealed partial class TenantJobPoller(
    TenantOptions tenant,
    ExporterOptions options,
    GraphJobSource source,
    JobSnapshotStore store,
    SourceHealthRegistry health,
    ExporterSelfMetrics metrics,
    TimeProvider time,
    ILogger logger)
{
    private const string Source = SourceNames.GraphJobs;
    private readonly string tenantId = tenant.TenantId!;
    private IReadOnlyList<ServicePrincipalRef> known = [];
    private DateTimeOffset? lastDiscovery;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        health.Register(tenantId, Source);
        using var timer = new PeriodicTimer(options.PollInterval, time);
        do
        {
            await RunCycleAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try { return await timer.WaitForNextTickAsync(token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }

    public async Task RunCycleAsync(CancellationToken stoppingToken)
    {
        var started = time.GetTimestamp();
        using var cycle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        cycle.CancelAfter(options.EffectivePollTimeout);
        try
        {
            var fetched = await FetchAsync(cycle.Token).ConfigureAwait(false);
            Publish(fetched);
            foreach (var problem in fetched.Problems)
                LogJobProblem(logger, tenant.DisplayName, problem.ServicePrincipalId, problem.JobId ?? "(no id)", problem.Reason);
            if (fetched.FailedServicePrincipals.Count == 0 && fetched.Problems.Count == 0)
            {
                health.ReportSuccess(tenantId, Source, time.GetUtcNow());
            }
            else
            {
                var reason = fetched.FailedServicePrincipals.Values.GroupBy(r => r).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault() ?? PollErrorReason.BadResponse;
                Fail(reason, $"{fetched.FailedServicePrincipals.Count} service principal(s) could not be read and {fetched.Problems.Count} job(s) could not be mapped; their last good values are kept.");
            }
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            var (reason, detail) = PollErrorClassifier.Classify(ex);
            Fail(reason, detail);
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
        finally
        {
            metrics.RecordPollDuration(tenantId, Source, time.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task<JobFetchResult> FetchAsync(CancellationToken token)
    {
        var now = time.GetUtcNow();
        if (lastDiscovery is null || now - lastDiscovery >= options.DiscoveryInterval)
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
        var previous = store.Get(tenantId)?.Jobs.ToLookup(j => j.ServicePrincipalId, StringComparer.OrdinalIgnoreCase);
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
        store.Publish(new TenantJobSnapshot(tenantId, jobs, time.GetUtcNow()));
    }

    private void Fail(string reason, string detail)
    {
        health.ReportFailure(tenantId, Source, reason);
        metrics.CountPollError(tenantId, Source, reason);
        LogCycleFailed(logger, tenant.DisplayName, reason, detail);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling provisioning jobs of tenant {Tenant} failed ({Reason}): {Detail}")]
    private static partial void LogCycleFailed(ILogger logger, string tenant, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: a job of service principal {ServicePrincipalId} ({JobId}) could not be mapped and keeps its last good values: {Reason}")]
    private static partial void LogJobProblem(ILogger logger, string tenant, string servicePrincipalId, string jobId, string reason);
}
