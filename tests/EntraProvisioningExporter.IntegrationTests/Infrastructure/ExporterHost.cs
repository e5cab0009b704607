using EntraProvisioningExporter.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>The exporter built exactly as Program.cs builds it, in-process on an ephemeral loopback port.</summary>
public sealed class ExporterHost : IAsyncDisposable
{
    private ExporterHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }

    public static async Task<ExporterHost> StartAsync(IEnumerable<string> args, TimeProvider? time = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var app = await ExporterApplication.BuildAsync([.. args, "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"],
            new ExporterHostOptions { Time = time, Configure = configure });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ExporterHost(app, new Uri(address));
    }

    public async Task WaitReadyAsync(TimeSpan? timeout = null) =>
        await Tools.Eventually(async () => (await Http.GetAsync("/readyz")).IsSuccessStatusCode, timeout ?? TimeSpan.FromSeconds(60),
            "/readyz to report ready");

    public Task<string> MetricsAsync() => Http.GetStringAsync("/metrics");

    /// <summary>The exporter's configuration reloader, to reload without a signal.</summary>
    public ConfigurationReloader Reloader =>
        App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<ConfigurationReloader>().Single();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
