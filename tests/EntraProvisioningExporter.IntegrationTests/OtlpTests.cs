using System.Collections.Concurrent;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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
        await using var receiver = await LoopbackApp.StartAsync(app => app.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            foreach (var name in OtlpMetricNames(body.ToArray())) received[name] = true;
            context.Response.ContentType = "application/x-protobuf";
        }));
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

    [Fact]
    public async Task Without_an_OTLP_endpoint_there_is_no_MeterProvider_and_no_OTLP_instrument()
    {
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        Assert.Null(host.App.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
        Assert.Null(host.App.Services.GetService<EntraProvisioningExporter.Exposition.OtlpExposition>());
        var instruments = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _)
                => { if (instrument.Meter.Name == EntraProvisioningExporter.Exposition.OtlpExposition.MeterName) instruments.Add(instrument.Name); },
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

    /// <summary>ExportMetricsServiceRequest → resource_metrics(1) → scope_metrics(2) → metrics(2) → name(1).</summary>
    private static IEnumerable<string> OtlpMetricNames(byte[] request) =>
        Fields(request, 1).SelectMany(rm => Fields(rm, 2)).SelectMany(sm => Fields(sm, 2)).SelectMany(m => Fields(m, 1))
            .Select(b => System.Text.Encoding.UTF8.GetString(b));

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
