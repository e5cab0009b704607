using System.Diagnostics;
using Xunit.Abstractions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Logs;
using EntraProvisioningExporter.Simulator.Scenario;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// A long run at accelerated scenario time with random faults from the matrix: memory and threads stay flat,
/// no task exception goes unobserved, and at the end the metrics match the simulator's ground truth.
/// CI runs SOAK_CYCLES=300 (the default); the long version: SOAK_CYCLES=5000 (docs/operations.md, Reliability).
/// </summary>
[Collection(RunsAlone.Name)]
public class SoakTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly FaultRule[] Faults =
    [
        new() { Kind = FaultKind.Throttle, PathPattern = "synchronization/jobs$", TopLevel = false, RetryAfterSeconds = 2, Times = 3 },
        new() { Kind = FaultKind.Status, StatusCode = 503, PathPattern = "synchronization/jobs$", TopLevel = false, Times = 2 },
        new() { Kind = FaultKind.Status, StatusCode = 503, PathPattern = "^/\\$batch$", InBatch = false, Times = 1 },
        new() { Kind = FaultKind.NotJson, PathPattern = "^/\\$batch$", InBatch = false, Times = 1 },
        new() { Kind = FaultKind.PartialError, PathPattern = "^/workspaces/", InBatch = false, Times = 1 },
        new() { Kind = FaultKind.Throttle, PathPattern = "^/workspaces/", InBatch = false, Times = 1 },
        new() { Kind = FaultKind.Body, Body = "{\"tables\":[]}", PathPattern = "^/workspaces/", InBatch = false, Times = 1 },
    ];

    [Fact]
    public async Task Thousands_of_cycles_with_random_faults_stay_flat_and_end_at_the_ground_truth()
    {
        var cycles = int.TryParse(Environment.GetEnvironmentVariable("SOAK_CYCLES"), out var n) ? n : 300;
        // Unobserved task exceptions surface when the finalizer collects their task: drain those earlier tests left
        // before listening, then count only the exporter's own (a frame of its assembly), each named by where it was
        // raised; the others are written out, not counted (a test's or a library's, not this run's exporter).
        Drain();
        var ours = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var others = new System.Collections.Concurrent.ConcurrentQueue<string>();
        EventHandler<UnobservedTaskExceptionEventArgs> count = (_, e) =>
        {
            foreach (var inner in e.Exception.Flatten().InnerExceptions)
                (RaisedByTheExporter(inner) ? ours : others).Enqueue($"{SourceOf(inner)}: {inner}");
        };
        TaskScheduler.UnobservedTaskException += count;
        try
        {
            var time = new SchedulingFakeTimeProvider(Start);
            var tenant = DemoScenario.Create(Start);
            await using var simulator = await TestSimulator.StartAsync([tenant], time);
            await using var exporter = await ExporterHost.StartAsync(
            [
                "--Exporter:Tenants:0:TenantId", tenant.TenantId,
                "--Exporter:Tenants:0:GraphEndpoint", simulator.GraphEndpoint(tenant.TenantId).ToString(),
                "--Exporter:Tenants:0:Credential:Kind", "None",
                "--Exporter:Tenants:0:Logs:Source", "LogAnalytics",
                "--Exporter:Tenants:0:Logs:WorkspaceId", tenant.WorkspaceId,
                "--Exporter:Tenants:0:Logs:Endpoint", simulator.LogAnalyticsEndpoint(tenant.TenantId).ToString(),
                "--Exporter:PollInterval", "00:01:00",
                // SDK and Azure.Core retries wait in real time; in-batch retries wait on the scenario clock.
                "--Exporter:HttpMaxRetries", "0",
            ], time);
            await exporter.WaitReadyAsync();

            var random = new Random(1122);
            long warmMemory = 0;
            var warmThreads = 0;
            var quiet = 5; // the last cycles run clean, so the end state is exact
            await using (var clock = new DiscreteEventClock(time, simulator, exporter, sources: 2, onTick: tick =>
                         {
                             simulator.Requests.Clear();
                             simulator.Faults.Clear();
                             if (tick < cycles - quiet
                                 && random.NextDouble() < 0.3) simulator.Faults.Add(Faults[random.Next(Faults.Length)]);
                         }))
            {
                await Tools.Eventually(() => Task.FromResult(clock.Ticks >= 50), TimeSpan.FromMinutes(5), "warm-up");
                (warmMemory, warmThreads) = Measure();
                await Tools.Eventually(() => Task.FromResult(clock.Ticks >= cycles), TimeSpan.FromMinutes(30), $"{cycles} cycles");
            }
            await Tools.Eventually(async () => MetricsText.Parse(await exporter.MetricsAsync())
                .Named("entra_exporter_poll_duration_seconds_count").All(c => c.Value >= cycles + 1),
                TimeSpan.FromSeconds(30), "the last cycle");
            var (endMemory, endThreads) = Measure();
            output.WriteLine($"{cycles} cycles ({time.GetUtcNow() - Start:g} of scenario time): managed heap {warmMemory / 1048576.0:0.0} "
                + $"MiB after 50 cycles, {endMemory / 1048576.0:0.0} MiB at the end; threads {warmThreads} -> {endThreads}");

            var samples = MetricsText.Parse(await exporter.MetricsAsync());
            Assert.True(samples.Named("entra_exporter_poll_errors_total").Sum(s => s.Value) >= cycles / 20,
                "faults should have been met along the way");
            Assert.All(samples.Named("entra_exporter_source_up"), s => Assert.Equal(1, s.Value));
            // Ground truth: every event ingested since the start, counted once despite every fault on the way.
            var cursor = time.GetUtcNow() - TimeSpan.FromMinutes(1);
            var truth = tenant.Events(Start - TimeSpan.FromMinutes(1) - EventScript.MaxIngestionDelay, cursor)
                .Where(e => e.IngestionTime > Start - TimeSpan.FromMinutes(1) && e.IngestionTime <= cursor)
                .GroupBy(e => (e.JobId, e.Action, e.Status)).ToDictionary(g => g.Key, g => (double)g.Count());
            var counted = samples.Named("entra_provisioning_events_total").Where(s => s.Value > 0)
                .ToDictionary(s => (s.Labels["job_id"], s.Labels["action"], s.Labels["status"]), s => s.Value);
            Assert.Equal(truth.OrderBy(kv => kv.Key).ToList(), counted.OrderBy(kv => kv.Key).ToList());
            // Job status matches the scenario at the end: all its jobs, Salesforce and Dropbox quarantined.
            Assert.Equal(Demo.Jobs, samples.Named("entra_provisioning_job_info").Count());
            var quarantined = samples.Named("entra_provisioning_job_quarantined").Where(s => s.Value == 1).Select(s => s.Labels["job_id"])
                .Order().ToList();
            var expected = tenant.ServicePrincipals.Where(sp => sp.DisplayName is "Salesforce" or "Dropbox Business")
                .Select(sp => sp.Jobs[0].Id).Order().ToList();
            Assert.Equal(expected, quarantined);

            // Flat: no growth beyond noise once warm (the simulator's request log is cleared every tick).
            Assert.True(endMemory - warmMemory < 24L * 1024 * 1024, $"managed heap grew by {(endMemory - warmMemory) / 1048576.0:0.0} MiB");
            Assert.True(endThreads - warmThreads < 15, $"threads grew from {warmThreads} to {endThreads}");
            Drain();
            foreach (var other in others) output.WriteLine("unobserved task exception, not the exporter's: " + other);
            Assert.True(ours.IsEmpty, "the exporter's unobserved task exceptions:\n" + string.Join("\n", ours));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= count;
        }
    }

    private static void Drain()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    private static readonly string ExporterAssembly = typeof(EntraProvisioningExporter.Hosting.ExporterApplication).Assembly.GetName()
        .Name!;

    /// <summary>Whether a frame of the exception (or of an inner one) is in the exporter's assembly.</summary>
    private static bool RaisedByTheExporter(Exception exception) =>
        Frames(exception).Any(f => f.GetMethod()?.DeclaringType?.Assembly.GetName().Name == ExporterAssembly);

    /// <summary>Where it was raised: the innermost exception's first frame, with its assembly.</summary>
    private static string SourceOf(Exception exception)
    {
        var innermost = exception;
        while (innermost.InnerException is { } inner) innermost = inner;
        var method = new StackTrace(innermost, false).GetFrames().Select(f => f.GetMethod()).FirstOrDefault(m => m is not null);
        return method is null ? $"{innermost.GetType().Name} (no stack)"
            : $"{method.DeclaringType?.FullName}.{method.Name} in {method.DeclaringType?.Assembly.GetName().Name}";
    }

    private static IEnumerable<StackFrame> Frames(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
            foreach (var frame in new StackTrace(e, false).GetFrames()) yield return frame;
    }

    private static (long Memory, int Threads) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.Threads.Count);
    }
}
