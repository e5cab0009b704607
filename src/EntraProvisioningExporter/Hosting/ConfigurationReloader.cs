using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Azure.Core;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Configuration.Files;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// Applies a changed configuration without a restart, as one transaction: a change to a configuration file (seen by
/// <see cref="ConfigurationWatcher"/>) or SIGHUP reads every file again and checks everything (files, binding,
/// validation, TLS certificates, tenant credentials) before anything is swapped; then the reload is either
/// <em>accepted</em> (all applied; entra_exporter_config_last_reload_successful 1, its timestamp set) or
/// <em>refused</em> (nothing applied, the exporter runs on as it was; the gauge 0), and logged once with every problem
/// naming its file or key. Nothing on this path throws out of a handler or a background task. SIGUSR1 and SIGUSR2,
/// whose default is to end the process, are ignored with a log line.
/// </summary>
public sealed partial class ConfigurationReloader(
    IConfiguration configuration,
    ConfigurationFiles files,
    IEnumerable<IValidateOptions<ExporterOptions>> validators,
    RuntimeConfiguration runtime,
    PollingWorker worker,
    TenantCredentials credentials,
    TlsCertificates tls,
    MetricsCredentials metricsCredentials,
    MetricExpositions expositions,
    TimeProvider time,
    ILogger<ConfigurationReloader> logger) : BackgroundService
{
    /// <summary>
    /// File changes come in bursts (an editor's save, several files of a Secret): let them settle. Real time, as the files change.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Configuration read once, at start, because it needs a new process: the listening addresses, the log format, how the
    /// files are found and watched, the demo.
    /// </summary>
    private static readonly string[] RestartOnlySections = ["urls", "http_ports", "https_ports", "Kestrel", "Logging:Console:FormatterName",
        ConfigurationFiles.ConfigFileKey, ConfigurationFiles.SecretsDirectoryKey, ConfigurationFiles.WatchIntervalKey, "Demo"];

    [Flags]
    private enum Trigger { None = 0, FileChange = 1, Hangup = 2 }

    private readonly Channel<bool> doorbell =
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int pending;

    /// <summary>Everything a reload read and checked, ready to apply; or the problems that refuse it.</summary>
    private sealed record Candidate(
        ConfigurationFiles.Snapshot? Files, ExporterOptions? Options, MetricTable? Table, TlsCertificates.Loaded? Certificates,
        IReadOnlyDictionary<string, TokenCredential?>? Credentials, IReadOnlyList<string> RestartOnly, IReadOnlyList<string> Problems)
    {
        public static Candidate Refused(IReadOnlyList<string> problems) => new(null, null, null, null, null, [], problems);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var warning in files.Warnings) LogStartWarning(logger, warning);
        WarnOfSilencedAlerts(expositions.Table);
        files.WatchAlso([.. CertificatePaths(runtime.Options), .. tls.Files]);
        using var hangup = Register(PosixSignal.SIGHUP, () => Request(Trigger.Hangup));
        using var user1 = Register((PosixSignal)(OperatingSystem.IsLinux() ? 10 : 30), () => LogIgnoredSignal(logger, "SIGUSR1"));
        using var user2 = Register((PosixSignal)(OperatingSystem.IsLinux() ? 12 : 31), () => LogIgnoredSignal(logger, "SIGUSR2"));
        using var watcher = files.WatchInterval > TimeSpan.Zero
            ? new ConfigurationWatcher(files, files.WatchInterval, () => Request(Trigger.FileChange),
                ex => LogInternalError(logger, "watching the configuration files", ex))
            : null;
        try
        {
            while (await doorbell.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                doorbell.Reader.TryRead(out _);
                if ((Volatile.Read(ref pending) & (int)Trigger.Hangup) == 0) await Task.Delay(Settle, stoppingToken).ConfigureAwait(false);
                var triggers = (Trigger)Interlocked.Exchange(ref pending, 0);
                if (triggers == Trigger.None) continue;
                try
                {
                    await ReloadAsync(Describe(triggers)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug: said as one, and the next change is still applied.
                    runtime.Refuse();
                    LogInternalError(logger, "reloading the configuration", ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A signal handled instead of its default action; no registration where signals do not exist.</summary>
    private static PosixSignalRegistration? Register(PosixSignal signal, Action handle) =>
        OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            handle();
        });

    /// <summary>Asks for a reload; requests that come while one is waiting or running are served by one more reload.</summary>
    private void Request(Trigger trigger)
    {
        Interlocked.Or(ref pending, (int)trigger);
        doorbell.Writer.TryWrite(true);
    }

    private static string Describe(Trigger triggers) => triggers switch
    {
        Trigger.Hangup => "SIGHUP",
        Trigger.FileChange => "a configuration file changed",
        _ => "a configuration file changed, and SIGHUP",
    };

    /// <summary>Reads, checks and, when everything holds, applies the configuration as it is now; true when it was accepted.</summary>
    public async Task<bool> ReloadAsync(string trigger = "request")
    {
        Candidate candidate;
        try
        {
            candidate = await ConfigurationFileReader.RunBoundedAsync(Prepare).ConfigureAwait(false);
        }
        catch (ConfigurationFileException ex)
        {
            candidate = Candidate.Refused([$"{ex.File}: {ex.Reason}"]);
        }
        MetricExpositions.Replacement? replacement = null;
        if (candidate.Problems.Count == 0)
        {
            try
            {
                // Built (and following publications) before anything is applied: a table that cannot be served refuses.
                await expositions.WaitForRetiredAsync().ConfigureAwait(false);
                replacement = expositions.Prepare(candidate.Table!);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                candidate = Candidate.Refused([$"{ExporterOptions.SectionName}:Metrics: the metric table cannot be served: {ex.Message}"]);
            }
        }
        using var unused = replacement; // released unless activated below
        if (candidate.Problems.Count > 0)
        {
            // Logged before the gauge drops, so whoever sees the gauge at 0 finds the reason already logged.
            LogRefused(logger, trigger, candidate.Problems.Count);
            foreach (var problem in candidate.Problems) LogProblem(logger, problem);
            runtime.Refuse();
            return false;
        }

        var fresh = candidate.Options!;
        files.Apply(candidate.Files!);
        tls.Commit(candidate.Certificates!);
        metricsCredentials.Replacing(runtime.Options.MetricsAuth, fresh.MetricsAuth);
        runtime.Accept(fresh, ServiceCollectionExtensions.Info(fresh, new TenantSharding(fresh), true, time.GetUtcNow()));
        if (replacement is not null)
        {
            expositions.Activate(replacement);
            WarnOfSilencedAlerts(candidate.Table!);
        }
        var summary = await worker.ApplyAsync(fresh, candidate.Credentials!).ConfigureAwait(false);
        files.WatchAlso([.. CertificatePaths(fresh), .. tls.Files]);

        var rebuilt = List(summary.Rebuilt)
            + (summary.SharedSettingsChanged.Count > 0 ? $" (for {string.Join(", ", summary.SharedSettingsChanged)})" : "");
        var table = replacement is null ? "unchanged"
            : $"rebuilt with {candidate.Table!.ServedFamilies} families (the exporter's own counters start again)";
        if (candidate.RestartOnly.Count == 0)
            LogAccepted(logger, trigger, List(summary.Added), List(summary.Removed), rebuilt, summary.CredentialsRenewed, table);
        else
            LogAcceptedButRestartOnly(logger, trigger, List(summary.Added), List(summary.Removed), rebuilt, summary.CredentialsRenewed,
                table, string.Join(", ", candidate.RestartOnly));
        return true;
    }

    /// <summary>Names the shipped alerts the table's Exporter:Metrics leaves without a family, so they can never fire.</summary>
    private void WarnOfSilencedAlerts(MetricTable table)
    {
        if (ShippedAlerts.SilencedBy(table.Selection) is not { Count: > 0 } silenced) return;
        var alerts = silenced.Select(a => $"{a.Alert} (needs {string.Join(", ", a.Missing)})");
        LogAlertsSilenced(logger, silenced.Count, string.Join("; ", alerts));
    }

    /// <summary>Every read and check of a reload, on the time-boxed reading thread; nothing is applied here.</summary>
    private Candidate Prepare()
    {
        var snapshot = files.Read();
        if (snapshot.Problems.Count > 0) return Candidate.Refused(snapshot.Problems);
        if (configuration
            is not IConfigurationRoot live) return Candidate.Refused(["the configuration is not reloadable (not a configuration root)"]);
        using var next = files.Candidate(live, snapshot);
        var (options, problems) = ExporterOptionsBinder.Bind(next, validators, snapshot.SecretFiles);
        if (options is null) return Candidate.Refused(problems);
        MetricTable table;
        try
        {
            table = expositions.TableFor(options);
        }
        catch (InvalidOperationException ex)
        {
            return Candidate.Refused([$"{ExporterOptions.SectionName}: {ex.Message}"]);
        }
        var restartOnly = ChangedAtStartOnly(live, next).ToList();
        var (certificates, certificateProblems) = TlsCertificates.Load(next);
        var (made, credentialProblems) = credentials.Prepare(options);
        IReadOnlyList<string> all = [.. certificateProblems, .. credentialProblems];
        return all.Count > 0 ? Candidate.Refused(all) : new Candidate(snapshot, options, table, certificates, made, restartOnly, []);
    }

    /// <summary>The keys that are read at start only and changed (named, never with their values).</summary>
    private static IEnumerable<string> ChangedAtStartOnly(IConfiguration live, IConfiguration next)
    {
        static Dictionary<string, string?> Flatten(IConfiguration c) => RestartOnlySections
            .SelectMany(section => c.GetSection(section).AsEnumerable(makePathsRelative: false))
            .Concat(OtlpExposition.Settings(c))
            .Where(kv => kv.Value is not null && !IsCertificate(kv.Key))
            .GroupBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Value, StringComparer.OrdinalIgnoreCase);
        var before = Flatten(live);
        var after = Flatten(next);
        return before.Keys.Union(after.Keys, StringComparer.OrdinalIgnoreCase)
            .Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
            .Order(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Kestrel's certificates are applied at reload (<see cref="TlsCertificates"/>); everything else of Kestrel's is read at start.
    /// </summary>
    private static bool IsCertificate(string key) =>
        key.StartsWith("Kestrel:Certificates", StringComparison.OrdinalIgnoreCase)
            || key.Contains(":Certificate:", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> CertificatePaths(ExporterOptions options) =>
        options.Tenants.Where(t => t.Credential.Kind.Equals(CredentialKind.ClientCertificate, StringComparison.OrdinalIgnoreCase))
            .Select(t => t.Credential.CertificatePath ?? "");

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogStartWarning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Exporter:Metrics leaves out families that {Count} shipped alert(s) need, so they can never fire: {Alerts}")]
    private static partial void LogAlertsSilenced(ILogger logger, int count, string alerts);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Signal} received and ignored (SIGHUP reloads the configuration; SIGTERM stops the exporter)")]
    private static partial void LogIgnoredSignal(ILogger logger, string signal);

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration reload refused after {Trigger} ({Count} problem(s)); "
        + "the exporter keeps running on the last good configuration")]
    private static partial void LogRefused(ILogger logger, string trigger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration reload refused: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);

    private const string Accepted = "Configuration reload accepted after {Trigger}: tenants added: {Added}; removed: {Removed}; "
        + "restarted with new settings: {Rebuilt}; credentials made again: {Renewed}; metric table: {Table}";

    [LoggerMessage(Level = LogLevel.Information, Message = Accepted)]
    private static partial void LogAccepted(ILogger logger, string trigger, string added, string removed, string rebuilt, int renewed,
        string table);

    [LoggerMessage(Level = LogLevel.Warning, Message = Accepted + "; read at start only, so kept until the exporter restarts: {Keys}")]
    private static partial void LogAcceptedButRestartOnly(ILogger logger, string trigger, string added, string removed, string rebuilt,
        int renewed, string table, string keys);

    [LoggerMessage(Level = LogLevel.Error, Message = "Internal error {Doing} (a bug: please report it); the exporter keeps running")]
    private static partial void LogInternalError(ILogger logger, string doing, Exception exception);
}
