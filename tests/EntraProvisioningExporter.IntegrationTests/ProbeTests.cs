using System.Net;
using System.Text.RegularExpressions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// /probe?tenant=NAME as docs/operations.md configures it: a real Prometheus scrapes each tenant as a target of its own,
/// so each has its own up and its own sample_limit; and the answers for a missing, unknown or other shard's tenant.
/// </summary>
public class ProbeTests
{
    private static Dictionary<string,
        string> Settings(SimulatorServer simulator, IReadOnlyList<(string Name, SimulatedTenant Tenant)> tenants)
    {
        var settings = new Dictionary<string, string> { ["Exporter__PollInterval"] = "00:00:30" };
        for (var i = 0; i < tenants.Count; i++)
        {
            var (name, tenant) = tenants[i];
            settings[$"Exporter__Tenants__{i}__Name"] = name;
            settings[$"Exporter__Tenants__{i}__TenantId"] = tenant.TenantId;
            settings[$"Exporter__Tenants__{i}__GraphEndpoint"] = simulator.GraphEndpoint(tenant.TenantId).ToString();
            settings[$"Exporter__Tenants__{i}__Credential__Kind"] = "None";
        }
        return settings;
    }

    /// <summary>
    /// The scrape job of docs/operations.md ("One target per tenant"), read from the page, with this test's exporter
    /// address, tenants and sample limit put in.
    /// </summary>
    public static string ScrapeConfig(string exporter, int sampleLimit, params string[] tenants)
    {
        var doc = File.ReadAllText(Repo.Path("docs", "operations.md"));
        var block = doc[doc.IndexOf("<!-- probe-scrape-config -->", StringComparison.Ordinal)..];
        block = block[(block.IndexOf("```yaml\n", StringComparison.Ordinal) + 8)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        string Replace(string text, string pattern, string replacement)
        {
            var replaced = Regex.Replace(text, pattern, replacement, RegexOptions.Multiline);
            Assert.True(replaced != text, $"docs/operations.md's probe scrape job has no line matching {pattern}");
            return replaced;
        }
        block = Replace(block, @"sample_limit: \d+.*$", $"sample_limit: {sampleLimit}");
        block = Replace(block, @"- targets: \[.*\]$", $"- targets: [{string.Join(", ", tenants)}]");
        block = Replace(block, @"replacement: \S+$", $"replacement: '{exporter}'");
        return "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n" + block;
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Prometheus_scrapes_each_tenant_as_a_target_with_its_own_up_and_sample_limit(string build)
    {
        var start = DateTimeOffset.UtcNow;
        IReadOnlyList<(string Name, SimulatedTenant Tenant)> tenants =
        [
            ("small", DemoScenario.Create(start, SimulatedTenant.StableGuid("probe-small"), syntheticJobs: 0,
                servicePrincipalsWithoutJobs: 0)),
            ("large", DemoScenario.Create(start, SimulatedTenant.StableGuid("probe-large"), syntheticJobs: 20,
                servicePrincipalsWithoutJobs: 0)),
        ];
        await using var simulator = await TestSimulator.StartAsync(tenants.Select(t => t.Tenant), TimeProvider.System);
        var port = Tools.FreePort();
        await using var exporter = ManagedProcess.StartExporter(["--urls", $"http://127.0.0.1:{port}"], Settings(simulator, tenants),
            ExporterBuild.Named(build));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await TryGet(http, "readyz")) is not null, TimeSpan.FromSeconds(90),
            "exporter ready: " + exporter.Describe());

        // Each probe has its own tenant's series only; the limit is set between the two tenants' sizes.
        var small = MetricsText.Parse((await TryGet(http, "probe?tenant=small"))!);
        var large = MetricsText.Parse((await TryGet(http, "probe?tenant=LARGE"))!);
        Assert.All(small, s => Assert.Equal(tenants[0].Tenant.TenantId, s.Labels["tenant_id"]));
        Assert.All(large, s => Assert.Equal(tenants[1].Tenant.TenantId, s.Labels["tenant_id"]));
        Assert.Contains(small, s => s.Name == "entra_provisioning_job_info");
        Assert.Equal(1, small.Named("entra_exporter_source_up").Single().Value);
        Assert.True(large.Count > 2 * small.Count, $"large {large.Count} vs small {small.Count} samples");
        var limit = (small.Count + large.Count) / 2;

        await using var prometheus = await PrometheusServer.StartAsync(ScrapeConfig($"127.0.0.1:{port}", limit, "small", "large",
            "northwind"));
        await Tools.Eventually(async () =>
        {
            var targets = await prometheus.TargetsAsync();
            return targets.GetArrayLength() == 3 && targets.EnumerateArray().All(t => t.GetProperty("health").GetString() != "unknown");
        }, TimeSpan.FromSeconds(60), "three tenant targets scraped");

        // The targets API can report a scrape's health before that scrape's samples are committed and queryable.
        await Tools.Eventually(async () => (await prometheus.QueryAsync("up{job=\"entra-tenants\"}")).Count == 3,
            TimeSpan.FromSeconds(30), "up of the three tenant targets in Prometheus");
        var up = (await prometheus.QueryAsync("up{job=\"entra-tenants\"}")).ToDictionary(r => r.Labels["instance"], r => r.Value);
        Assert.Equal(new Dictionary<string, double> { ["small"] = 1, ["large"] = 0, ["northwind"] = 0 }, up);
        var errors = (await prometheus.TargetsAsync()).EnumerateArray()
            .ToDictionary(t => t.GetProperty("labels").GetProperty("instance").GetString()!, t => t.GetProperty("lastError").GetString()!);
        Assert.Equal("", errors["small"]);
        Assert.Contains("sample limit exceeded", errors["large"], StringComparison.Ordinal);
        Assert.Contains("404", errors["northwind"], StringComparison.Ordinal);
        // The small tenant's series are in Prometheus under its target; none of the large one's got through.
        var jobs = await prometheus.QueryAsync("entra_provisioning_job_info");
        Assert.NotEmpty(jobs);
        Assert.All(jobs, j => Assert.Equal(("small", tenants[0].Tenant.TenantId), (j.Labels["instance"], j.Labels["tenant_id"])));
        Assert.InRange(Assert.Single(await prometheus.QueryAsync("scrape_samples_scraped{instance=\"small\"}")).Value, 1, limit);
    }

    [Fact]
    public async Task A_probe_without_a_tenant_is_400_an_unknown_one_404_and_another_shards_404_naming_it()
    {
        var start = DateTimeOffset.UtcNow;
        // Two tenants, one per shard of two; this exporter is shard 0.
        var ids = Enumerable.Range(0, 40).Select(i => SimulatedTenant.StableGuid($"probe-shard-{i}")).ToList();
        var mine = ids.First(id => TenantSharding.ShardOf(id, 2) == 0);
        var theirs = ids.First(id => TenantSharding.ShardOf(id, 2) == 1);
        IReadOnlyList<(string, SimulatedTenant)> tenants =
        [
            ("mine", DemoScenario.Create(start, mine, servicePrincipalsWithoutJobs: 0)),
            ("theirs", DemoScenario.Create(start, theirs, servicePrincipalsWithoutJobs: 0)),
        ];
        await using var simulator = await TestSimulator.StartAsync(tenants.Select(t => t.Item2), TimeProvider.System);
        var args = Settings(simulator, tenants).Select(kv => $"--{kv.Key.Replace("__", ":", StringComparison.Ordinal)}={kv.Value}")
            .Concat(["--Exporter:Sharding:Count=2", "--Exporter:Sharding:Index=0"]);
        await using var exporter = await ExporterHost.StartAsync(args);
        await exporter.WaitReadyAsync();

        async Task<(HttpStatusCode Status, string Body)> Get(string path)
        {
            using var response = await exporter.Http.GetAsync(path);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (status, body) = await Get("/probe");
        Assert.Equal((HttpStatusCode.BadRequest, "Missing the tenant parameter: /probe?tenant=NAME (a tenant's Name or TenantId).\n"),
            (status, body));
        Assert.Equal(HttpStatusCode.BadRequest, (await Get("/probe?tenant=mine&tenant=theirs")).Status);
        (status, body) = await Get("/probe?tenant=northwind");
        Assert.Equal((HttpStatusCode.NotFound, "No tenant 'northwind' is configured (Exporter:Tenants: a tenant's Name or TenantId).\n"),
            (status, body));
        (status, body) = await Get("/probe?tenant=theirs");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.StartsWith("Tenant 'theirs' is polled by shard 1 of 2", body, StringComparison.Ordinal);
        Assert.Contains("not by this one (shard 0)", body, StringComparison.Ordinal);
        (status, body) = await Get($"/probe?tenant={mine}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.All(MetricsText.Parse(body), s => Assert.Equal(mine, s.Labels["tenant_id"]));
        // /metrics still serves everything this shard has.
        Assert.Contains(MetricsText.Parse(await exporter.MetricsAsync()), s => s.Labels.GetValueOrDefault("tenant_id") == mine);
        using var post = await exporter.Http.PostAsync($"/probe?tenant={mine}", new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/probe?tenant={mine}");
        using var headResponse = await exporter.Http.SendAsync(head);
        Assert.Equal(HttpStatusCode.OK, headResponse.StatusCode);
        Assert.Empty(await headResponse.Content.ReadAsByteArrayAsync());
    }

    private static async Task<string?> TryGet(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
