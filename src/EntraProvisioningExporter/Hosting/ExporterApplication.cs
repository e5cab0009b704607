using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Hosting;

/// <summary>Test and embedding hooks: a clock to use, and a last say on services.</summary>
public sealed class ExporterHostOptions
{
    public TimeProvider? Time { get; init; }
    public Action<WebApplicationBuilder>? Configure { get; init; }
}

/// <summary>Composition of the whole service, in one place: configuration, Kestrel, logging, services, endpoints.</summary>
public static class ExporterApplication
{
    public const int DefaultPort = 9464;

    public static async Task<WebApplication> BuildAsync(string[] args, ExporterHostOptions? hostOptions = null)
    {
        var demo = args.Contains(DemoMode.Argument, StringComparer.Ordinal);
        var rest = args.Where(a => a != DemoMode.Argument).ToArray();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = rest, ContentRootPath = AppContext.BaseDirectory });

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        var hasUrls = !string.IsNullOrEmpty(builder.Configuration["urls"]) || !string.IsNullOrEmpty(builder.Configuration["http_ports"]) || !string.IsNullOrEmpty(builder.Configuration["https_ports"]);
        if (!hasUrls) builder.WebHost.UseUrls(demo ? $"http://127.0.0.1:{DefaultPort}" : $"http://*:{DefaultPort}");
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Only small GETs are served: refuse big bodies and headers, and slow (slowloris) clients.
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            k.Limits.MaxConcurrentConnections = 1000;
        });

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

    /// <summary>Runs until stopped. Configuration errors are listed by key, with exit code 2 and no stack trace.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = await BuildAsync(args).ConfigureAwait(false);
            // Validate before starting, so a bad configuration is reported by us (listed by key), not by the host with a stack trace.
            _ = app.Services.GetRequiredService<IOptions<ExporterOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            return ConfigurationError(ex.Failures);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
        {
            return ConfigurationError([ex.Message]);
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"Start-up failed: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

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

    private static int ConfigurationError(IEnumerable<string> failures)
    {
        Console.Error.WriteLine("Configuration is invalid:");
        foreach (var failure in failures) Console.Error.WriteLine($"  - {failure}");
        Console.Error.WriteLine("See the configuration reference in README.md.");
        return 2;
    }

    private static void AnnounceAddresses(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var simulator = app.Services.GetService<SimulatorServer>();
        foreach (var address in addresses)
            Console.WriteLine($"Serving metrics at {address.Replace("://[::]", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)}/metrics");
        if (simulator is not null)
            Console.WriteLine($"Demo mode: watching a simulated tenant served at {simulator.BaseAddress} (no Azure account needed).");
    }
}
