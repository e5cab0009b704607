using System.Text.Json;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Sources;

/// <summary>
/// Runs every source of every tenant of this replica (its shard's share) in its own loop, side by side: one
/// tenant's or source's failure or slowness never holds up another.
///
/// A configuration reload (<see cref="ApplyAsync"/>) starts the tenants added, stops and forgets those removed
/// (their series go), rebuilds those whose settings changed, and gives every other tenant with a credential a
/// fresh one (a rotated secret, certificate or token file is read again) while its sources keep running: a tenant
/// whose settings did not change keeps its counters and cursors, so nothing is counted twice or lost. A change to a
/// setting every tenant's sources are built with (<see cref="SharedSourceSettings"/>) rebuilds every tenant. What a
/// stopped tenant used (its HTTP clients and their connections) is disposed once its loops have ended.
/// </summary>
public sealed partial class PollingWorker(
    RuntimeConfiguration runtime,
    TenantSourceFactory factory,
    TenantCredentials credentials,
    TenantSnapshotStore snapshots,
    ExporterSelfMetrics metrics,
    DroppedObjects drops,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly Dictionary<string, TenantRun> running = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ILogger logger = loggers.CreateLogger<PollingWorker>();
    private CancellationToken stopping;
    private System.Text.Json.Nodes.JsonObject? shared;
    private IReadOnlyDictionary<string, Azure.Core.TokenCredential?>? startCredentials;

    /// <summary>
    /// The settings every tenant's sources are built with (read when a source is made, not at each cycle): when one
    /// changes, every tenant is rebuilt so that none runs on the old value.
    /// </summary>
    public static readonly IReadOnlyList<string> SharedSourceSettings =
    [
        nameof(ExporterOptions.RequestTimeout), nameof(ExporterOptions.MaxConcurrentRequestsPerTenant),
            nameof(ExporterOptions.MaxBatchRetries),
        nameof(ExporterOptions.HttpMaxRetries), nameof(ExporterOptions.HttpRetryDelay), nameof(ExporterOptions.Logs),
    ];

    /// <summary>
    /// The credentials the start-up check made (<see cref="TenantCredentials"/>), so start uses exactly what was checked.
    /// </summary>
    public void StartWith(IReadOnlyDictionary<string, Azure.Core.TokenCredential?> prepared) => startCredentials = prepared;

    /// <summary>A running tenant: its settings, sources and loops.</summary>
    private sealed record TenantRun(TenantOptions Tenant, TenantSources Sources, IReadOnlyList<string> SourceNames,
        CancellationTokenSource Stop, Task Loops);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        stopping = stoppingToken;
        var prepared = startCredentials;
        if (prepared is null)
        {
            var (made, problems) = credentials.Prepare(runtime.Options);
            foreach (var problem in problems) LogCredentialProblem(logger, problem);
            prepared = made;
        }
        await ApplyAsync(runtime.Options, prepared).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            foreach (var run in running.Values) await run.Stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(running.Values.Select(r => r.Loops)).ConfigureAwait(false);
            foreach (var run in running.Values)
            {
                run.Stop.Dispose();
                run.Sources.Dispose();
            }
            running.Clear();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Brings the running tenants in line with <paramref name="options"/> (already validated and in force), with the
    /// credentials made for them beforehand (<see cref="TenantCredentials"/>); a tenant without one is not started.
    /// </summary>
    public async Task<ReloadSummary> ApplyAsync(ExporterOptions options, IReadOnlyDictionary<string, Azure.Core.TokenCredential?> prepared)
    {
        await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var summary = new ReloadSummary();
            var sharedNow = SharedOf(options);
            if (shared is not null)
                summary.SharedSettingsChanged.AddRange(SharedSourceSettings
                    .Where(k => !System.Text.Json.Nodes.JsonNode.DeepEquals(shared[k], sharedNow[k]))
                    .Select(k => $"{ExporterOptions.SectionName}:{k}"));
            shared = sharedNow;
            var sharding = new TenantSharding(options);
            if (sharding.Count > 1)
                LogShard(logger, sharding.Index, sharding.Count, sharding.Assigned.Count, sharding.Configured,
                    string.Join(", ", sharding.Assigned.Select(t => t.DisplayName)));
            var desired = sharding.Assigned.GroupBy(t => t.TenantId!, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

            foreach (var (id, run) in running.Where(r => !desired.ContainsKey(r.Key)).ToList())
            {
                await StopAndForgetAsync(id, run).ConfigureAwait(false);
                summary.Removed.Add(run.Tenant.DisplayName);
            }
            foreach (var (id, tenant) in desired)
            {
                if (!prepared.TryGetValue(id, out var credential))
                {
                    LogNotStarted(logger, tenant.DisplayName);
                    continue;
                }
                if (!running.TryGetValue(id, out var run))
                {
                    Start(tenant, credential);
                    summary.Added.Add(tenant.DisplayName);
                }
                else if (summary.SharedSettingsChanged.Count > 0 || !SameSources(run.Tenant, tenant))
                {
                    await StopAndForgetAsync(id, run).ConfigureAwait(false);
                    Start(tenant, credential);
                    summary.Rebuilt.Add(tenant.DisplayName);
                }
                else
                {
                    // The same sources: keep them (and their counters and cursors), with the credential made again.
                    if (run.Sources.Credential is { } rotating && credential is not null)
                    {
                        rotating.Replace(credential);
                        summary.CredentialsRenewed++;
                    }
                    running[id] = run with { Tenant = tenant };
                }
            }
            return summary;
        }
        finally
        {
            gate.Release();
        }
    }

    private void Start(TenantOptions tenant, Azure.Core.TokenCredential? credential)
    {
        var sources = factory.Create(tenant, credential);
        IPolledSource[] polled = sources.Logs is { } logSource ? [sources.Jobs, logSource] : [sources.Jobs];
        var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var loopLogger = loggers.CreateLogger<PollLoop>();
        var loops = polled.Select(source =>
        {
            // Registered before the loop runs, so readiness waits for every source; every reason's series starts at 0.
            snapshots.Register(source.TenantId, source.Source);
            metrics.InitializePollErrors(source.TenantId, source.Source);
            var loop = new PollLoop(source, runtime, snapshots, metrics, time, loopLogger,
                sources.Throttles.GetValueOrDefault(source.Source));
            return Task.Run(() => loop.RunAsync(stop.Token), CancellationToken.None);
        }).ToList();
        running[tenant.TenantId!] = new TenantRun(tenant, sources, [.. polled.Select(p => p.Source)], stop, Task.WhenAll(loops));
    }

    /// <summary>Stops a tenant's loops and forgets its data, so its series disappear.</summary>
    private async Task StopAndForgetAsync(string tenantId, TenantRun run)
    {
        await run.Stop.CancelAsync().ConfigureAwait(false);
        await run.Loops.ConfigureAwait(false);
        run.Stop.Dispose();
        run.Sources.Dispose();
        running.Remove(tenantId);
        snapshots.Remove(tenantId);
        foreach (var source in run.SourceNames)
        {
            metrics.RemoveSource(tenantId, source);
            drops.Remove(tenantId, source);
        }
    }

    /// <summary>Whether two settings of a tenant give the same sources: equal but for the credential's secret material.</summary>
    private static bool SameSources(TenantOptions a, TenantOptions b) =>
        (a.Credential.Kind.Equals(CredentialKind.None, StringComparison.OrdinalIgnoreCase) == b.Credential.Kind.Equals(CredentialKind.None,
            StringComparison.OrdinalIgnoreCase))
        && Shape(a) == Shape(b);

    /// <summary>The tenant's settings as JSON with the credential left out (compared, never logged).</summary>
    private static string Shape(TenantOptions tenant)
    {
        var node = JsonSerializer.SerializeToNode(tenant, OptionsJsonContext.Default.TenantOptions)!.AsObject();
        node.Remove(nameof(TenantOptions.Credential));
        return node.ToJsonString();
    }

    private static System.Text.Json.Nodes.JsonObject SharedOf(ExporterOptions options)
    {
        var all = JsonSerializer.SerializeToNode(options, OptionsJsonContext.Default.ExporterOptions)!.AsObject();
        var result = new System.Text.Json.Nodes.JsonObject();
        foreach (var key in SharedSourceSettings) result[key] = all[key]?.DeepClone();
        return result;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Tenant {Tenant} is not polled: its credential could not be made "
        + "(see the problem logged before)")]
    private static partial void LogNotStarted(ILogger logger, string tenant);

    [LoggerMessage(Level = LogLevel.Error, Message = "Credential not made: {Problem}")]
    private static partial void LogCredentialProblem(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Index} of {Count}: polling {Assigned} of "
        + "{Configured} tenants: {Tenants}")]
    private static partial void LogShard(ILogger logger, int index, int count, int assigned, int configured, string tenants);
}

/// <summary>What applying a configuration changed.</summary>
public sealed class ReloadSummary
{
    public List<string> Added { get; } = [];
    public List<string> Removed { get; } = [];
    public List<string> Rebuilt { get; } = [];

    /// <summary>The shared source settings that changed (every tenant was rebuilt for them).</summary>
    public List<string> SharedSettingsChanged { get; } = [];
    public int CredentialsRenewed { get; set; }
}
