using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// Applies a changed configuration without a restart: a changed JSON file (appsettings, ConfigFile), a changed file in
/// SecretsDirectory (a rotated Kubernetes Secret), or SIGHUP. The new settings are bound and validated exactly as at
/// start; if anything is wrong, every problem is logged with its key and the exporter keeps running on the last good
/// configuration. entra_exporter_config_last_reload_successful and …_success_timestamp_seconds say how it went.
/// </summary>
public sealed partial class ConfigurationReloader(
    IConfiguration configuration,
    IEnumerable<IValidateOptions<ExporterOptions>> validators,
    RuntimeConfiguration runtime,
    PollingWorker worker,
    TimeProvider time,
    ILogger<ConfigurationReloader> logger) : BackgroundService
{
    /// <summary>File changes come in bursts (an editor's save, a Secret's symlink swap): wait for them to settle.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    /// <summary>Settings applied at once (the tenant list and its split across shards, the intervals); any other change applies to tenants started later, and to all at restart.</summary>
    private static readonly HashSet<string> Live = [nameof(ExporterOptions.Tenants), nameof(ExporterOptions.Sharding), nameof(ExporterOptions.PollInterval),
        nameof(ExporterOptions.PollTimeout), nameof(ExporterOptions.DiscoveryInterval), nameof(ExporterOptions.EffectivePollTimeout)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var onChange = ChangeToken.OnChange(configuration.GetReloadToken, () => changes.Writer.TryWrite(true));
        // SIGHUP re-reads every configuration source, which raises the change above even when nothing changed:
        // that is how to make the exporter read rotated certificate files again.
        using var hangup = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            LogHangup(logger);
            if (configuration is IConfigurationRoot root) root.Reload();
            changes.Writer.TryWrite(true);
        });
        try
        {
            while (await changes.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await Task.Delay(Settle, stoppingToken).ConfigureAwait(false);
                while (changes.Reader.TryRead(out _)) { }
                await ReloadAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Binds, validates and applies the configuration as it is now; true when it was accepted.</summary>
    public async Task<bool> ReloadAsync()
    {
        var (fresh, failures) = Bind();
        if (fresh is null)
        {
            LogRefused(logger, failures.Count);
            foreach (var failure in failures) LogProblem(logger, failure);
            runtime.Refuse();
            return false;
        }
        var previous = runtime.Options;
        runtime.Accept(fresh, ServiceCollectionExtensions.Info(fresh, new TenantSharding(fresh), true, time.GetUtcNow()));
        var summary = await worker.ApplyAsync(fresh).ConfigureAwait(false);
        LogReloaded(logger, List(summary.Added), List(summary.Removed), List(summary.Rebuilt), summary.CredentialsRenewed);
        if (RestartOnly(previous, fresh) is { Count: > 0 } later) LogRestartOnly(logger, string.Join(", ", later.Select(k => $"{ExporterOptions.SectionName}:{k}")));
        return true;
    }

    private (ExporterOptions? Options, IReadOnlyList<string> Failures) Bind()
    {
        var fresh = new ExporterOptions();
        try
        {
            configuration.GetSection(ExporterOptions.SectionName).Bind(fresh);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's own message names the key and the value that would not convert.
            return (null, [ex.Message]);
        }
        ShardingOptions.ResolveIndex(fresh);
        var failures = validators.Select(v => v.Validate(Options.DefaultName, fresh)).Where(r => r.Failed).SelectMany(r => r.Failures ?? []).ToList();
        return failures.Count == 0 ? (fresh, []) : (null, failures);
    }

    /// <summary>The top-level settings that changed and that running tenants only pick up at restart.</summary>
    private static List<string> RestartOnly(ExporterOptions before, ExporterOptions after)
    {
        var a = JsonSerializer.SerializeToNode(before, OptionsJsonContext.Default.ExporterOptions)!.AsObject();
        var b = JsonSerializer.SerializeToNode(after, OptionsJsonContext.Default.ExporterOptions)!.AsObject();
        return b.Select(p => p.Key).Where(k => !Live.Contains(k) && a[k]?.ToJsonString() != b[k]?.ToJsonString()).ToList();
    }

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    [LoggerMessage(Level = LogLevel.Information, Message = "SIGHUP: reading the configuration again")]
    private static partial void LogHangup(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration reload refused ({Count} problem(s)); the exporter keeps running on the last good configuration")]
    private static partial void LogRefused(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration reload refused: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration reloaded: tenants added: {Added}; removed: {Removed}; restarted with new settings: {Rebuilt}; credentials read again: {Renewed}")]
    private static partial void LogReloaded(ILogger logger, string added, string removed, string rebuilt, int renewed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration reload: {Keys} changed; running tenants keep their previous value until the exporter restarts (tenants added from now on use the new one)")]
    private static partial void LogRestartOnly(ILogger logger, string keys);
}
