using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Configuration.Files;
using EntraProvisioningExporter.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Hosting;

/// <summary>Test and embedding hooks: a clock to use, and a last say on services.</summary>
public sealed class ExporterHostOptions
{
    public TimeProvider? Time { get; init; }
    public Action<WebApplicationBuilder>? Configure { get; init; }
}

/// <summary>Composition of the whole service, in one place: configuration, Kestrel, logging, services, endpoints.</summary>
public static partial class ExporterApplication
{
    public const int DefaultPort = 9464;

    /// <summary>Run <see cref="SetupCheck"/> once against the configured tenants instead of serving.</summary>
    public const string CheckArgument = "--check";

    public static async Task<WebApplication> BuildAsync(string[] args, ExporterHostOptions? hostOptions = null)
    {
        var demo = args.Contains(DemoMode.Argument, StringComparer.Ordinal);
        var check = args.Contains(CheckArgument, StringComparer.Ordinal);
        // The host's JSON files are read, not watched: the exporter owns and watches its files (ConfigurationFiles).
        // First, so that it cannot become the value of a trailing switch given without one.
        var rest = args.Where(a => a != DemoMode.Argument && a != CheckArgument).Prepend("--hostBuilder:reloadConfigOnChange=false")
            .ToArray();
        WebApplicationBuilder builder;
        try
        {
            builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = rest, ContentRootPath = AppContext.BaseDirectory });
        }
        catch (InvalidDataException ex)
        {
            // The host reads appsettings.json before the exporter can own it: its only failure is that file not loading.
            throw new InvalidConfigurationException([$"{ex.Message} {ex.InnerException?.Message}".Trim()]);
        }
        builder.Services.AddSingleton(await ConfigurationFiles.InstallAsync(builder.Configuration).ConfigureAwait(false));
        TlsCertificates.AddTo(builder);

        builder.Logging.ClearProviders();
        // --check writes its own report: the sources' log lines would only repeat it.
        if (!check) AddConsoleLogging(builder);

        var hasUrls = !string.IsNullOrEmpty(builder.Configuration["urls"]) || !string.IsNullOrEmpty(builder.Configuration["http_ports"])
            || !string.IsNullOrEmpty(builder.Configuration["https_ports"]);
        if (!hasUrls) builder.WebHost.UseUrls(demo ? $"http://127.0.0.1:{DefaultPort}" : $"http://*:{DefaultPort}");
        // Only small GETs are served: refuse big bodies and headers, and idle, slow or abandoned clients (ServingLimits).
        var openFiles = OpenFilesLimit.RaiseSoftToHard();
        builder.WebHost.ConfigureKestrel(k => ServingLimits.ApplyTo(k, openFiles));

        if (demo) await DemoMode.ConfigureAsync(builder, hostOptions?.Time).ConfigureAwait(false);
        else if (hostOptions?.Time is { } time) builder.Services.AddSingleton(time);

        builder.Services.AddEntraProvisioningExporter(builder.Configuration);
        hostOptions?.Configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExporterMiddleware();
        app.MapExporterEndpoints();
        if (app.Services.GetService<SimulatorServer>() is { } simulator)
            app.Lifetime.ApplicationStopped.Register(() => simulator.DisposeAsync().AsTask().GetAwaiter().GetResult());
        return app;
    }

    /// <summary>
    /// Console logs, one line each with UTC timestamps: .NET's simple formatter, or its JSON formatter (one JSON object
    /// a line, for log pipelines) when Logging:Console:FormatterName is "json".
    /// </summary>
    private static void AddConsoleLogging(WebApplicationBuilder builder)
    {
        if (JsonLogs(builder.Configuration))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
            return;
        }
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
    }

    private static bool JsonLogs(IConfiguration configuration) =>
        string.Equals(configuration["Logging:Console:FormatterName"], ConsoleFormatterNames.Json, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Runs until stopped, or with --check runs the set-up check once. Configuration errors are listed by key, with
    /// exit code 2 and no stack trace.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains(CheckArgument, StringComparer.Ordinal)) return await CheckAsync(args, null, Console.Out, Console.Error)
            .ConfigureAwait(false);
        var (app, exit) = await BuildValidatedAsync(args, null, Console.Error).ConfigureAwait(false);
        if (app is null) return exit;

        await using (app)
        {
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync($"Start-up failed: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
            AnnounceAddresses(app);
            await app.WaitForShutdownAsync().ConfigureAwait(false);
        }
        return 0;
    }

    /// <summary>
    /// The set-up check (--check): its report on <paramref name="output"/>, configuration errors on <paramref name="errors"/>;
    /// 0 when every step worked, 1 when one failed, 2 for an invalid configuration.
    /// </summary>
    public static async Task<int> CheckAsync(string[] args, ExporterHostOptions? hostOptions, TextWriter output, TextWriter errors)
    {
        var (app, exit) = await BuildValidatedAsync([.. args.Where(a => a != CheckArgument), CheckArgument], hostOptions, errors)
            .ConfigureAwait(false);
        if (app is null) return exit;
        await using (app)
        {
            try
            {
                return await app.Services.GetRequiredService<SetupCheck>().RunAsync(output, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                if (app.Services.GetService<SimulatorServer>() is { } simulator) await simulator.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The built application with its configuration checked as a reload checks it (files, binding, validation, TLS
    /// certificates, tenant credentials), or null and the exit code that says why not: 2 and every problem for a
    /// configuration that cannot be used, reported by us rather than by the host with a stack trace.
    /// </summary>
    private static async Task<(WebApplication? App, int Exit)> BuildValidatedAsync(string[] args, ExporterHostOptions? hostOptions,
        TextWriter errors)
    {
        WebApplication? app = null;
        try
        {
            app = await BuildAsync(args, hostOptions).ConfigureAwait(false);
            await CheckStartAsync(app).ConfigureAwait(false);
            return (app, 0);
        }
        catch (Exception ex) when (ex is InvalidConfigurationException or ConfigurationFileException or OptionsValidationException)
        {
            if (app is not null) await app.DisposeAsync().ConfigureAwait(false);
            return (null, ConfigurationError(ex switch
            {
                InvalidConfigurationException invalid => invalid.Problems,
                ConfigurationFileException file => [$"{file.File}: {file.Reason}"],
                _ => ((OptionsValidationException)ex).Failures,
            }, errors));
        }
        catch (Exception ex)
        {
            if (app is not null) await app.DisposeAsync().ConfigureAwait(false);
            await errors.WriteLineAsync($"Start-up failed: {ex.Message}").ConfigureAwait(false);
            return (null, 1);
        }
    }

    /// <summary>
    /// What a reload checks, at start; on success the TLS certificates and tenant credentials it made are the ones started with.
    /// </summary>
    private static async Task CheckStartAsync(WebApplication app)
    {
        var services = app.Services;
        var files = services.GetRequiredService<ConfigurationFiles>();
        var validators = services.GetServices<IValidateOptions<ExporterOptions>>();
        var (certificates, credentials, problems) = await ConfigurationFileReader.RunBoundedAsync<(TlsCertificates.Loaded?,
            IReadOnlyDictionary<string, Azure.Core.TokenCredential?>?, IReadOnlyList<string>)>(() =>
        {
            var (options, problems) = ExporterOptionsBinder.Bind(app.Configuration, validators, files.SecretFiles);
            if (options is null) return (null, null, problems);
            var (certificates, certificateProblems) = TlsCertificates.Load(app.Configuration);
            var (credentials, credentialProblems) = services.GetRequiredService<Sources.TenantCredentials>().Prepare(options);
            return (certificates, credentials, [.. certificateProblems, .. credentialProblems]);
        }).ConfigureAwait(false);
        if (problems.Count > 0) throw new InvalidConfigurationException(problems);
        services.GetRequiredService<TlsCertificates>().Commit(certificates!);
        services.GetRequiredService<Sources.PollingWorker>().StartWith(credentials!);
        // The options in force come from the same configuration: binding them again cannot fail now.
        _ = services.GetRequiredService<IOptions<ExporterOptions>>().Value;
    }

    private static int ConfigurationError(IEnumerable<string> failures, TextWriter errors)
    {
        errors.WriteLine("Configuration is invalid:");
        foreach (var failure in failures) errors.WriteLine($"  - {failure}");
        errors.WriteLine("See the configuration reference in docs/configuration.md.");
        return 2;
    }

    /// <summary>Where to scrape, on stdout; as a log event when logs are JSON, so that every line of stdout is one.</summary>
    private static void AnnounceAddresses(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var simulator = app.Services.GetService<SimulatorServer>();
        var lines = addresses.Select(a => $"Serving metrics at {a.Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)}/metrics").ToList();
        if (simulator is not null) lines.Add($"Demo mode: watching a simulated tenant served at "
            + $"{simulator.BaseAddress} (no Azure account needed).");
        var logger = JsonLogs(app.Configuration) ? app.Services.GetRequiredService<ILoggerFactory>()
            .CreateLogger(typeof(ExporterApplication).Namespace!) : null;
        foreach (var line in lines)
        {
            if (logger is null) Console.WriteLine(line);
            else LogAnnouncement(logger, line);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Announcement}")]
    private static partial void LogAnnouncement(ILogger logger, string announcement);
}
