using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>The demo tenant simulated in this process, and an exporter process of one build polling it.</summary>
public sealed class SimulatedTenantRun : IAsyncDisposable
{
    public required SimulatorServer Simulator { get; init; }
    public required ManagedProcess Exporter { get; init; }
    public required HttpClient Http { get; init; }

    public sealed record Tenant(string TenantId, string WorkspaceId, string SimulatorUrl);

    public static async Task<SimulatedTenantRun> StartAsync(ExporterBuild build, Func<Tenant, string[]> settings, IDictionary<string,
        string>? environment = null, FaultRule? fault = null)
    {
        // Real time: the exporter runs as a separate process (JIT or AOT), which cannot share a fake clock.
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        var scenario = DemoScenario.Create(time.GetUtcNow());
        var simulatorPort = Tools.FreePort();
        var simulator = await TestSimulator.StartAsync([scenario], time, simulatorPort);
        if (fault is not null) simulator.Faults.Add(fault);
        var tenant = new Tenant(scenario.TenantId, scenario.WorkspaceId, $"http://127.0.0.1:{simulatorPort}");
        var port = Tools.FreePort();
        var exporter = ManagedProcess.StartExporter(
        [
            "--urls", $"http://127.0.0.1:{port}",
            "--Exporter:Tenants:0:TenantId", tenant.TenantId,
            "--Exporter:Tenants:0:GraphEndpoint", $"{tenant.SimulatorUrl}/v1.0",
            .. settings(tenant),
        ], environment, build);
        return new SimulatedTenantRun { Simulator = simulator, Exporter = exporter,
            Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") } };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Exporter.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
