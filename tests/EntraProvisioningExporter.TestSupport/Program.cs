using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;
using EntraProvisioningExporter.TestSupport;

// Runs simulated tenants on their own, e.g. to point a locally built exporter at them, or to measure the
// exporter without the simulator in its process (tests/bench/measure.sh):
//   dotnet run --project tests/EntraProvisioningExporter.TestSupport -- --port 5080 --time-scale 60
//   … --tenants 3 --synthetic-jobs 987 --latency-ms 100 --log-source LogAnalytics --config-out exporter.json
// --config-out writes the exporter settings (Exporter:Tenants) that point at these tenants.
var port = int.TryParse(ArgValue(args, "--port"), out var p) ? p : 5080;
var scale = double.TryParse(ArgValue(args, "--time-scale"), CultureInfo.InvariantCulture, out var s) ? s : 1;
var tenantCount = int.TryParse(ArgValue(args, "--tenants"), out var t) ? Math.Max(1, t) : 1;
var synthetic = int.TryParse(ArgValue(args, "--synthetic-jobs"), out var j) ? Math.Max(0, j) : 0;
var latency = int.TryParse(ArgValue(args, "--latency-ms"), out var l) ? Math.Max(0, l) : 0;
var logSource = ArgValue(args, "--log-source") ?? "None";

var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, scale);
var start = time.GetUtcNow();
var tenants = Enumerable.Range(0, tenantCount)
    .Select(i => DemoScenario.Create(start, i == 0 ? DemoScenario.DefaultTenantId : SimulatedTenant.StableGuid($"demo-tenant-{i}"),
        synthetic))
    .ToList();
await using var server = await TestSimulator.StartAsync(tenants, time, port, records: false); // nothing reads them
// Network latency: every request waits this long before it is answered (a $batch once, not per inner request).
if (latency > 0) server.Faults.Add(new FaultRule { Kind = FaultKind.Delay, Delay = TimeSpan.FromMilliseconds(latency), InBatch = false });

foreach (var tenant in tenants) Console.WriteLine($"Simulated Graph for tenant {tenant.TenantId}: {server.GraphEndpoint(tenant.TenantId)}");
if (ArgValue(args, "--config-out") is { } configPath)
{
    var list = new JsonArray();
    foreach (var tenant in tenants)
    {
        var entry = new JsonObject
        {
            ["TenantId"] = tenant.TenantId,
            ["GraphEndpoint"] = server.GraphEndpoint(tenant.TenantId).ToString(),
            ["Credential"] = new JsonObject { ["Kind"] = "None" },
            ["Logs"] = logSource.Equals("LogAnalytics", StringComparison.OrdinalIgnoreCase)
                ? new JsonObject { ["Source"] = "LogAnalytics", ["WorkspaceId"] = tenant.WorkspaceId,
                    ["Endpoint"] = server.LogAnalyticsEndpoint(tenant.TenantId).ToString() }
                : new JsonObject { ["Source"] = logSource },
        };
        list.Add((JsonNode)entry); // the non-generic overload: Add<T> serializes by reflection
    }
    await File.WriteAllTextAsync(configPath,
        new JsonObject { ["Exporter"] = new JsonObject { ["Tenants"] = list } }
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"Exporter settings written to {configPath}");
}
Console.WriteLine("Press Ctrl+C to stop.");
var done = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; done.TrySetResult(); };
// SIGTERM (kill, docker stop) stops it as Ctrl+C does, instead of leaving the runtime waiting for Main.
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM,
    c => { c.Cancel = true; done.TrySetResult(); });
await done.Task;

static string? ArgValue(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
