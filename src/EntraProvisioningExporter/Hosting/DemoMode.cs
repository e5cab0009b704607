using System.Globalization;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// --demo: starts the simulated tenant in-process on loopback and points the exporter at it with the
/// no-credential mode. Settings (all optional): Demo:TimeScale (scenario time runs this many times faster),
/// Demo:Tenants (simulated tenants), Demo:SyntheticJobs (extra healthy jobs per tenant, for scale tests),
/// Demo:LogSource (LogAnalytics, the default, Graph, or None: where the simulated tenants' logs are read from).
/// </summary>
public static class DemoMode
{
    public const string Argument = "--demo";

    public static async Task<SimulatorServer> ConfigureAsync(WebApplicationBuilder builder, TimeProvider? time)
    {
        var config = builder.Configuration;
        var scale = double.TryParse(config["Demo:TimeScale"], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 1;
        var tenantCount = int.TryParse(config["Demo:Tenants"], out var t) ? Math.Max(1, t) : 1;
        var synthetic = int.TryParse(config["Demo:SyntheticJobs"], out var j) ? Math.Max(0, j) : 0;
        var logSource = config["Demo:LogSource"] ?? Configuration.LogSourceKind.LogAnalytics;
        time ??= new AcceleratedTimeProvider(DateTimeOffset.UtcNow, scale);

        var start = time.GetUtcNow();
        var tenants = Enumerable.Range(0, tenantCount)
            .Select(i => DemoScenario.Create(start, i == 0 ? DemoScenario.DefaultTenantId : SimulatedTenant.StableGuid($"demo-tenant-{i}"),
                synthetic))
            .ToList();
        // The demo runs for as long as it is left: its simulator keeps no request history.
        var simulator = await SimulatorServer.StartAsync(tenants, time).ConfigureAwait(false);

        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < tenants.Count; i++)
        {
            settings[$"Exporter:Tenants:{i}:Name"] = i == 0 ? "demo" : $"demo-{i}";
            settings[$"Exporter:Tenants:{i}:TenantId"] = tenants[i].TenantId;
            settings[$"Exporter:Tenants:{i}:GraphEndpoint"] = simulator.GraphEndpoint(tenants[i].TenantId).ToString();
            settings[$"Exporter:Tenants:{i}:Credential:Kind"] = "None";
            settings[$"Exporter:Tenants:{i}:Logs:Source"] = logSource;
            if (logSource.Equals(Configuration.LogSourceKind.LogAnalytics, StringComparison.OrdinalIgnoreCase))
            {
                settings[$"Exporter:Tenants:{i}:Logs:WorkspaceId"] = tenants[i].WorkspaceId;
                settings[$"Exporter:Tenants:{i}:Logs:Endpoint"] = simulator.LogAnalyticsEndpoint(tenants[i].TenantId).ToString();
            }
        }
        if (config["Exporter:PollInterval"] is null) settings["Exporter:PollInterval"] = "00:00:30";
        config.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(simulator);
        return simulator;
    }
}
