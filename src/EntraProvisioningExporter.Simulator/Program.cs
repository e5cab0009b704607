using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;

// Runs the simulated tenant on its own, e.g. to point a locally built exporter at it:
//   dotnet run --project src/EntraProvisioningExporter.Simulator -- --port 5080 --time-scale 60
var port = int.TryParse(ArgValue(args, "--port"), out var p) ? p : 5080;
var scale = double.TryParse(ArgValue(args, "--time-scale"), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 1;
var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, scale);
await using var server = await SimulatorServer.StartAsync([DemoScenario.Create(time.GetUtcNow())], time, port);
Console.WriteLine($"Simulated Graph for tenant {DemoScenario.DefaultTenantId}: {server.GraphEndpoint(DemoScenario.DefaultTenantId)}");
Console.WriteLine("Press Ctrl+C to stop.");
var done = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; done.TrySetResult(); };
await done.Task;

static string? ArgValue(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
