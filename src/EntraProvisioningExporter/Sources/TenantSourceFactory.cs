using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources.Graph;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.LogAnalytics;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Sources;

/// <summary>Makes a tenant's Azure.Identity credential (null: no token). A seam so tests can supply a failing or expiring one.</summary>
public delegate Azure.Core.TokenCredential? CredentialFactory(TenantOptions tenant);

/// <summary>
/// One tenant's credential (replaceable, when there is one) and sources, as the configuration asks for them, and the
/// HTTP clients they use: disposed when the tenant is removed or rebuilt (after its loops have stopped), so its
/// connections close rather than wait for the pool's idle timeout.
/// </summary>
public sealed record TenantSources(RotatingCredential? Credential, GraphJobSource Graph, IPolledSource Jobs, IPolledSource? Logs,
    IReadOnlyList<IDisposable> Owned) : IDisposable
{
    /// <summary>The throttling meter of each source that talks to Graph, by source name.</summary>
    public IReadOnlyDictionary<string, GraphThrottleMeter> Throttles { get; init; } = new Dictionary<string, GraphThrottleMeter>();

    public void Dispose()
    {
        foreach (var owned in Owned) owned.Dispose();
    }
}

/// <summary>
/// Builds a tenant's sources: the Graph job source and the log source its configuration names, with their clients.
/// One place, so the poller and --check talk to Microsoft exactly the same way.
/// </summary>
public sealed class TenantSourceFactory(
    RuntimeConfiguration runtime,
    TenantSnapshotStore snapshots,
    ExporterSelfMetrics metrics,
    TimeProvider time,
    DroppedObjects drops,
    CredentialFactory credentials)
{
    /// <summary>
    /// The tenant's sources under the options in force, with its credential already made (<see cref="TenantCredentials"/>).
    /// </summary>
    public TenantSources Create(TenantOptions tenant, Azure.Core.TokenCredential? tenantCredential)
    {
        var o = runtime.Options;
        var owned = new List<IDisposable>();
        var credential = tenantCredential is { } c ? new RotatingCredential(c) : null;
        var throttles = new Dictionary<string, GraphThrottleMeter>(StringComparer.Ordinal)
        {
            [SourceNames.GraphJobs] = new(new SourceDrops(drops, tenant.TenantId!, SourceNames.GraphJobs)),
        };
        var (client, http) = GraphClientBuilder.Build(tenant, o, metrics, SourceNames.GraphJobs, credential, time,
            throttle: throttles[SourceNames.GraphJobs]);
        owned.Add(http);
        var batch = new GraphBatchRunner(client, o.MaxConcurrentRequestsPerTenant, o.MaxBatchRetries, time);
        var graph = new GraphJobSource(tenant.TenantId!, client, batch, new SourceDrops(drops, tenant.TenantId!, SourceNames.GraphJobs));
        var poller = new TenantJobPoller(tenant, runtime, graph, snapshots, time);
        return new TenantSources(credential, graph, poller, LogSource(tenant, o, credential, owned, throttles),
            owned) { Throttles = throttles };
    }

    /// <summary>The credential the configuration asks for now (a rotation gives a new one), or null for none.</summary>
    public Azure.Core.TokenCredential? Credential(TenantOptions tenant) => credentials(tenant);

    private IPolledSource? LogSource(TenantOptions tenant, ExporterOptions o, Azure.Core.TokenCredential? credential,
        List<IDisposable> owned,
        Dictionary<string, GraphThrottleMeter> throttles)
    {
        if (LogSourceKind.LogAnalytics.Equals(tenant.Logs.Source, StringComparison.OrdinalIgnoreCase))
        {
            var wire = new RetryAfterClampHandler(time)
            {
                InnerHandler = new LenientJsonHandler { InnerHandler = new SocketsHttpHandler() }
            };
            var http = new HttpClient(new HttpStatusCountingHandler(metrics, SourceNames.LogAnalytics) { InnerHandler = wire })
            {
                Timeout = Timeout.InfiniteTimeSpan, // the pipeline's per-try network timeout applies
            };
            owned.Add(http);
            var la = new LogsQueryClient(LogAnalyticsCloud.EndpointOf(tenant), credential, new LogsQueryClientOptions
            {
                Scope = LogAnalyticsCloud.Scope(tenant.Cloud),
                Retry = { MaxRetries = o.HttpMaxRetries,
                    Delay = o.HttpRetryDelay <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : o.HttpRetryDelay },
                Transport = new Azure.Core.Pipeline.HttpClientTransport(http),
            }, uri => LogAnalyticsCloud.MayReceiveToken(uri) || (tenant.AllowTokenToLoopback && GraphCloud.IsLoopback(uri)));
            return new LogAnalyticsLogSource(tenant, o, la, snapshots, time,
                new SourceDrops(drops, tenant.TenantId!, SourceNames.LogAnalytics));
        }
        if (LogSourceKind.Graph.Equals(tenant.Logs.Source, StringComparison.OrdinalIgnoreCase))
        {
            var budget = new RequestBudget(o.Logs.GraphRequestsPer10Seconds, time);
            var throttle = throttles[SourceNames.GraphProvisioningLogs] = new GraphThrottleMeter(new SourceDrops(drops, tenant.TenantId!,
                SourceNames.GraphProvisioningLogs));
            var (logsClient, http) = GraphClientBuilder.Build(tenant, o, metrics, SourceNames.GraphProvisioningLogs, credential, time,
                new RequestBudgetHandler(budget), throttle);
            owned.Add(http);
            return new GraphLogSource(tenant, o, logsClient, budget, snapshots, time,
                new SourceDrops(drops, tenant.TenantId!, SourceNames.GraphProvisioningLogs));
        }
        return null;
    }
}
