using System.Net.Http.Json;
using System.Text.Json;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>A real Prometheus server (the Debian package, 2.42) on loopback with a throw-away TSDB.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly ManagedProcess process;
    private readonly string directory;

    private PrometheusServer(ManagedProcess process, string directory, Uri address)
    {
        this.process = process;
        this.directory = directory;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }
    public HttpClient Http { get; }

    /// <summary>Starts Prometheus with the given configuration YAML (and any extra files beside it, e.g. rules).</summary>
    public static async Task<PrometheusServer> StartAsync(string configYaml, IDictionary<string, string>? files = null)
    {
        var binary = Tools.Require("prometheus");
        var dir = Directory.CreateTempSubdirectory("entra-prom-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), configYaml);
        foreach (var (name, content) in files ?? new Dictionary<string, string>())
            await File.WriteAllTextAsync(Path.Combine(dir, name), content);
        var port = Tools.FreePort();
        var process = ManagedProcess.Start(binary,
        [
            $"--config.file={Path.Combine(dir, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(dir, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            "--log.level=warn",
        ], workingDirectory: dir);
        var server = new PrometheusServer(process, dir, new Uri($"http://127.0.0.1:{port}/"));
        await Tools.Eventually(async () => !process.HasExited && (await server.Http.GetAsync("-/ready")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), "Prometheus to be ready: " + process.Describe());
        return server;
    }

    public string Describe() => process.Describe();

    /// <summary>Instant query; returns the result vector (metric labels and value).</summary>
    public async Task<IReadOnlyList<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var response = await Http.GetFromJsonAsync<JsonElement>($"api/v1/query?query={Uri.EscapeDataString(promql)}");
        if (response.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"Query failed: {promql}: {response}");
        var data = response.GetProperty("data");
        if (data.GetProperty("resultType").GetString() == "scalar")
            return [(new Dictionary<string, string>(), double.Parse(data.GetProperty("result")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))];
        return data.GetProperty("result").EnumerateArray().Select(r => (
            r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    public async Task<JsonElement> TargetsAsync() =>
        (await Http.GetFromJsonAsync<JsonElement>("api/v1/targets")).GetProperty("data").GetProperty("activeTargets");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await process.DisposeAsync();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
