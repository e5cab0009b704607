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
/// whose settings did not change keeps its counters and cursors, so nothing is counted twice or lost.
/// </summary>
public sealed partial class PollingWorker(
    RuntimeConfiguration runtime,
    TenantSourceFactory factory,
    JobSnapshotStore jobs,
    LogSnapshotStore logs,
    SourceHealthRegistry health,
    ExporterSelfMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly Dictionary<string, TenantRun> running = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ILogger logger = loggers.CreateLogger<PollingWorker>();
    private CancellationToken stopping;

    /// <summary>A running tenant: its settings, sources and loops.</summary>
    private sealed record TenantRun(TenantOptions Tenant, TenantSources Sources, IReadOnlyList<string> SourceNames, CancellationTokenSource Stop, Task Loops);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        stopping = stoppingToken;
        await ApplyAsync(runtime.Options).ConfigureAwait(false);
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
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Brings the running tenants in line with <paramref name="options"/> (already validated and in force).</summary>
    public async Task<ReloadSummary> ApplyAsync(ExporterOptions options)
    {
        await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var sharding = new TenantSharding(options);
            if (sharding.Count > 1)
                LogShard(logger, sharding.Index, sharding.Count, sharding.Assigned.Count, sharding.Configured, string.Join(", ", sharding.Assigned.Select(t => t.DisplayName)));
            var desired = sharding.Assigned.GroupBy(t => t.TenantId!, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
            var summary = new ReloadSummary();

            foreach (var (id, run) in running.Where(r => !desired.ContainsKey(r.Key)).ToList())
            {
                await StopAndForgetAsync(id, run).ConfigureAwait(false);
                summary.Removed.Add(run.Tenant.DisplayName);
            }
            foreach (var (id, tenant) in desired)
            {
                if (!running.TryGetValue(id, out var run))
                {
                    Start(tenant);
                    summary.Added.Add(tenant.DisplayName);
                }
                else if (!SameSources(run.Tenant, tenant))
                {
                    await StopAndForgetAsync(id, run).ConfigureAwait(false);
                    Start(tenant);
                    summary.Rebuilt.Add(tenant.DisplayName);
                }
                else
                {
                    // The same sources: keep them (and their counters and cursors); read the credential again.
                    if (run.Sources.Credential is { } credential && factory.Credential(tenant) is { } fresh)
                    {
                        credential.Replace(fresh);
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

    private void Start(TenantOptions tenant)
    {
        var sources = factory.Create(tenant);
        IPolledSource[] polled = sources.Logs is { } logSource ? [sources.Jobs, logSource] : [sources.Jobs];
        var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var loopLogger = loggers.CreateLogger<PollLoop>();
        var loops = polled.Select(source =>
        {
            // Registered before the loop runs, so readiness waits for every source; every reason's series starts at 0.
            health.Register(source.TenantId, source.Source);
            metrics.InitializePollErrors(source.TenantId, source.Source);
            var loop = new PollLoop(source, runtime, health, metrics, time, loopLogger);
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
        running.Remove(tenantId);
        jobs.Remove(tenantId);
        logs.Remove(tenantId);
        health.Remove(tenantId);
        foreach (var source in run.SourceNames) metrics.RemoveSource(tenantId, source);
    }

    /// <summary>Whether two settings of a tenant give the same sources: equal but for the credential's secret material.</summary>
    private static bool SameSources(TenantOptions a, TenantOptions b) =>
        (a.Credential.Kind.Equals(CredentialKind.None, StringComparison.OrdinalIgnoreCase) == b.Credential.Kind.Equals(CredentialKind.None, StringComparison.OrdinalIgnoreCase))
        && Shape(a) == Shape(b);

    /// <summary>The tenant's settings as JSON with the credential left out (compared, never logged).</summary>
    private static string Shape(TenantOptions tenant)
    {
        var node = JsonSerializer.SerializeToNode(tenant, OptionsJsonContext.Default.TenantOptions)!.AsObject();
        node.Remove(nameof(TenantOptions.Credential));
        return node.ToJsonString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Index} of {Count}: polling {Assigned} of {Configured} tenants: {Tenants}")]
    private static partial void LogShard(ILogger logger, int index, int count, int assigned, int configured, string tenants);
}

/// <summary>What applying a configuration changed.</summary>
public sealed class ReloadSummary
{
    public List<string> Added { get; } = [];
    public List<string> Removed { get; } = [];
    public List<string> Rebuilt { get; } = [];
    public int CredentialsRenewed { get; set; }
}
