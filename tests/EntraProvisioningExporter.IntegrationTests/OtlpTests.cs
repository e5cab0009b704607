using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// "One instrumentation, two exporters": an OTLP/HTTP receiver started by the test gets the same metric
/// names that /metrics serves, from an exporter configured only by the standard OTEL_EXPORTER_OTLP_* variables.
/// </summary>
public class OtlpTests
{
    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Otlp_receiver_gets_the_same_metric_names_as_the_metrics_endpoint(string build)
    {
        var received = new ConcurrentDictionary<string, bool>();
        await using var receiver = await StartReceiverAsync(request =>
        {
            foreach (var name in OtlpMetricNames(request)) received[name] = true;
        });
        var receiverUrl = receiver.Urls.First();

        var port = Tools.FreePort();
        await using var exporter = ManagedProcess.StartExporter(["--demo", "--urls", $"http://127.0.0.1:{port}"], new Dictionary<string,
            string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiverUrl,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
        }, ExporterBuild.Named(build));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60),
            "the exporter to be ready: " + exporter.Describe());
        var prometheusNames = ServedEntraFamilies(await http.GetStringAsync("metrics"));
        Assert.Contains("entra_provisioning_job_quarantined", prometheusNames);
        Assert.Contains("entra_exporter_poll_duration_seconds", prometheusNames);

        await Tools.Eventually(() => Task.FromResult(prometheusNames.All(received.ContainsKey)), TimeSpan.FromSeconds(30),
            "OTLP to deliver every metric; missing: " + string.Join(", ", prometheusNames.Where(n => !received.ContainsKey(n))));
        Assert.Empty(received.Keys.Where(n => n.StartsWith("entra_", StringComparison.Ordinal)).Except(prometheusNames));
    }

    /// <summary>
    /// The SDK fixes an instrument's cardinality limit when it creates it: a reload that changes MaxJobs or the families
    /// builds a new meter and MeterProvider. Real time: the SDK's export interval runs on the wall clock.
    /// </summary>
    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task A_reload_that_changes_MaxJobs_or_the_families_rebuilds_OTLP_with_them(string build)
    {
        var exports = new ConcurrentQueue<IReadOnlyDictionary<string, int>>();
        await using var receiver = await StartReceiverAsync(request => exports.Enqueue(OtlpDataPoints(request)));
        var config = Path.Combine(Directory.CreateTempSubdirectory("otlp-reload").FullName, "exporter.json");
        await File.WriteAllTextAsync(config,
            """{ "Exporter": { "MaxJobs": 1, "Metrics": { "Exclude": [ "entra_provisioning_job_last_execution_*" ] } } }""");
        var port = Tools.FreePort();
        await using var exporter = ManagedProcess.StartExporter(
            ["--demo", "--urls", $"http://127.0.0.1:{port}", "--ConfigFile", config, "--ConfigWatchInterval", "00:00:00"],
            new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Urls.First(),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            }, ExporterBuild.Named(build));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60),
            "the exporter to be ready: " + exporter.Describe());
        const string Info = "entra_provisioning_job_info", State = "entra_provisioning_job_last_execution_state";
        var jobs = MetricsText.Parse(await http.GetStringAsync("metrics")).Named(Info).Count();
        Assert.True(jobs > 3, $"the demo has {jobs} jobs");
        async Task ExportedAsync(Func<IReadOnlyDictionary<string, int>, bool> wanted, string what)
        {
            try
            {
                await Tools.Eventually(() => Task.FromResult(exports.Any(wanted)), TimeSpan.FromSeconds(30), what);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"No export {what} in 30 s; {Info} points in each: "
                    + string.Join(" ", exports.Select(e => e.GetValueOrDefault(Info))) + ". " + exporter.Describe());
            }
        }

        // At MaxJobs 1 the SDK keeps a few series of a per-job family (the rest go to its overflow series).
        await ExportedAsync(e => e.GetValueOrDefault(Info) is > 0 and <= 3, "at the start limits");
        Assert.DoesNotContain(exports, e => e.ContainsKey(State) || e.GetValueOrDefault(Info) > 3);

        var reloads = 0;
        async Task ReloadAsync(string json)
        {
            await File.WriteAllTextAsync(config, json);
            System.Diagnostics.Process.Start("kill", ["-HUP", exporter.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!
                .WaitForExit();
            reloads++;
            await Tools.Eventually(() => Task.FromResult(Regex.Count(exporter.StandardOutput, "metric table: rebuilt with") == reloads),
                TimeSpan.FromSeconds(30), $"reload {reloads}: " + exporter.Describe());
            exports.Clear();
        }

        // MaxJobs alone: /metrics is unchanged, OTLP gets new instruments sized for it.
        await ReloadAsync(
            """{ "Exporter": { "MaxJobs": 10000, "Metrics": { "Exclude": [ "entra_provisioning_job_last_execution_*" ] } } }""");
        await ExportedAsync(e => e.GetValueOrDefault(Info) == jobs, "with every job");
        Assert.DoesNotContain(exports, e => e.ContainsKey(State));
        // The families: both expositions serve the one the reload adds.
        await ReloadAsync("""{ "Exporter": { "MaxJobs": 10000 } }""");
        Assert.Contains(State, MetricsText.FamilyNames(await http.GetStringAsync("metrics")));
        await ExportedAsync(e => e.GetValueOrDefault(Info) == jobs && e.ContainsKey(State), "with the family the reload added");
    }

    [Fact]
    public async Task An_OTEL_setting_changed_in_a_file_is_read_at_start_only_and_named()
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("otel-reload").FullName, "exporter.json");
        await File.WriteAllTextAsync(config, """{ "OTEL_METRIC_EXPORT_INTERVAL": "1000" }""");
        var logs = new CapturedLogs();
        await using var host = await ExporterHost.StartAsync(["--demo", "--ConfigFile", config, "--ConfigWatchInterval", "00:00:00",
            "--Logging:LogLevel:EntraProvisioningExporter.Hosting.ConfigurationReloader", "Information"],
            configure: b => b.Logging.AddProvider(logs));
        await host.WaitReadyAsync();
        var reloader = host.Reloader;

        await File.WriteAllTextAsync(config, """{ "OTEL_METRIC_EXPORT_INTERVAL": "2000" }""");
        Assert.True(await reloader.ReloadAsync("test"));
        var line = Assert.Single(logs.Lines, l => l.Contains("reload accepted", StringComparison.Ordinal));
        Assert.EndsWith("read at start only, so kept until the exporter restarts: OTEL_METRIC_EXPORT_INTERVAL", line.TrimEnd(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_OTLP_endpoint_there_is_no_OTLP_instrument()
    {
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        await host.WaitReadyAsync();
        var instruments = new List<string>();
        const string Meter = EntraProvisioningExporter.Exposition.OtlpExposition.MeterName;
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _) => { if (instrument.Meter.Name == Meter) instruments.Add(instrument.Name); },
        };
        listener.Start();
        Assert.Empty(instruments);
    }

    /// <summary>The entra_ families /metrics serves that have at least one series (OTLP sends only those).</summary>
    /// <summary>
    /// The entra families /metrics serves with a value OTLP can carry. A histogram with no observation yet (every _count 0,
    /// as the latency histogram before the first timed event) is left out: the SDK sends an instrument once it is measured.
    /// </summary>
    private static HashSet<string> ServedEntraFamilies(string text)
    {
        var parsed = MetricsText.Parse(text);
        var samples = parsed.Select(s => s.Name).ToHashSet();
        var observed = parsed.Where(s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s.Value > 0)
            .Select(s => s.Name[..^"_count".Length]).ToHashSet();
        return MetricsText.FamilyNames(text).Where(f => f.StartsWith("entra_", StringComparison.Ordinal) &&
            (samples.Contains(f) || observed.Contains(f))).ToHashSet();
    }

    /// <summary>An OTLP/HTTP metrics receiver on loopback, giving each request's body to <paramref name="receive"/>.</summary>
    private static Task<WebApplication> StartReceiverAsync(Action<byte[]> receive) =>
        LoopbackApp.StartAsync(app => app.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            receive(body.ToArray());
            context.Response.ContentType = "application/x-protobuf";
        }));

    /// <summary>ExportMetricsServiceRequest → resource_metrics(1) → scope_metrics(2) → metrics(2) → name(1).</summary>
    private static IEnumerable<string> OtlpMetricNames(byte[] request) =>
        Fields(request, 1).SelectMany(rm => Fields(rm, 2)).SelectMany(sm => Fields(sm, 2)).SelectMany(m => Fields(m, 1))
            .Select(b => System.Text.Encoding.UTF8.GetString(b));

    /// <summary>
    /// Each metric's number of data points: metrics(2) → gauge(5), sum(7) or histogram(9) → data_points(1).
    /// </summary>
    private static Dictionary<string, int> OtlpDataPoints(byte[] request)
    {
        var points = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var metric in Fields(request, 1).SelectMany(rm => Fields(rm, 2)).SelectMany(sm => Fields(sm, 2)))
        {
            var name = System.Text.Encoding.UTF8.GetString(Fields(metric, 1).Single());
            var data = Fields(metric, 5).Concat(Fields(metric, 7)).Concat(Fields(metric, 9));
            points[name] = points.GetValueOrDefault(name) + data.Sum(d => Fields(d, 1).Count);
        }
        return points;
    }

    private static List<byte[]> Fields(byte[] message, int number)
    {
        var result = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                result.Add(input.ReadBytes().ToByteArray());
            else
                input.SkipLastField();
        }
        return result;
    }
}
