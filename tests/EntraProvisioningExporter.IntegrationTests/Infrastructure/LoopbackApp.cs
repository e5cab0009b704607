using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>A small HTTP endpoint a test plays (an OTLP receiver, a token endpoint), started on an ephemeral loopback port.</summary>
public static class LoopbackApp
{
    public static async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }
}
