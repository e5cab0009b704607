using System.Net.Http.Json;
using System.Text.Json;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>A real Prometheus server (the Debian package, 2.42) on loopback with a throw-away TSDB.</summary>
public sealed class PrometheusServer : ToolServer
{
    /// <summary>Starts Prometheus with the given configuration YAML (and any extra files beside it, e.g. rules).</summary>
    public static Task<PrometheusServer> StartAsync(string configYaml, IDictionary<string, string>? files = null) =>
        StartAsync(new PrometheusServer(), ["prometheus"], "prometheus.yml", configYaml, files, (dir, port) =>
        [
            $"--config.file={Path.Combine(dir, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(dir, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            "--log.level=warn",
        ], "Prometheus");

    /// <summary>Instant query; returns the result vector (metric labels and value).</summary>
    public async Task<IReadOnlyList<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var response = await Http.GetFromJsonAsync<JsonElement>($"api/v1/query?query={Uri.EscapeDataString(promql)}");
        if (response.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"Query failed: {promql}: {response}");
        var data = response.GetProperty("data");
        if (data.GetProperty("resultType").GetString() == "scalar")
            return [(new Dictionary<string, string>(),
                double.Parse(data.GetProperty("result")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))];
        return data.GetProperty("result").EnumerateArray().Select(r => (
            r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    public async Task<JsonElement> TargetsAsync() =>
        (await Http.GetFromJsonAsync<JsonElement>("api/v1/targets")).GetProperty("data").GetProperty("activeTargets");
}
