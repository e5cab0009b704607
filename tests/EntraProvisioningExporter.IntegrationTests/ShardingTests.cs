using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>Three exporter processes, shards 0–2 of one configuration, against one simulator with many tenants.</summary>
public class ShardingTests
{
    private const int TenantCount = 12;
    private const int Shards = 3;

    [Fact]
    public async Task Three_shards_together_export_every_job_of_every_tenant_exactly_once()
    {
        var start = DateTimeOffset.UtcNow;
        var tenants = Enumerable.Range(0, TenantCount)
            .Select(i => DemoScenario.Create(start, SimulatedTenant.StableGuid($"shard-test-tenant-{i}"), syntheticJobs: 3,
                servicePrincipalsWithoutJobs: 2))
            .ToList();
        // Real time: only the first cycle of each shard is read; no timer is waited on.
        await using var simulator = await TestSimulator.StartAsync(tenants, TimeProvider.System);
        var expected = tenants.SelectMany(t => t.ServicePrincipals.SelectMany(sp => sp.Jobs.Select(j => (Tenant: t.TenantId, Job: j.Id))))
            .ToList();

        // The same configuration for every replica, as a StatefulSet's pods share one ConfigMap; only the index differs.
        var settings = new Dictionary<string,
            string> { ["Exporter__PollInterval"] = "00:00:30", ["Exporter__Sharding__Count"] = $"{Shards}" };
        for (var i = 0; i < tenants.Count; i++)
        {
            settings[$"Exporter__Tenants__{i}__TenantId"] = tenants[i].TenantId;
            settings[$"Exporter__Tenants__{i}__GraphEndpoint"] = simulator.GraphEndpoint(tenants[i].TenantId).ToString();
            settings[$"Exporter__Tenants__{i}__Credential__Kind"] = "None";
            settings[$"Exporter__Tenants__{i}__Logs__Source"] = "LogAnalytics";
            settings[$"Exporter__Tenants__{i}__Logs__WorkspaceId"] = tenants[i].WorkspaceId;
            settings[$"Exporter__Tenants__{i}__Logs__Endpoint"] = simulator.LogAnalyticsEndpoint(tenants[i].TenantId).ToString();
        }
        var replicas = new List<(ManagedProcess Process, HttpClient Http)>();
        try
        {
            for (var shard = 0; shard < Shards; shard++)
            {
                var port = Tools.FreePort();
                var process = ManagedProcess.StartExporter(["--urls", $"http://127.0.0.1:{port}"],
                    new Dictionary<string, string>(settings) { ["Exporter__Sharding__Index"] = $"{shard}" });
                replicas.Add((process, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") }));
            }
            foreach (var (process, http) in replicas)
                await Tools.Eventually(async () => (await TryGet(http, "readyz")) is not null, TimeSpan.FromSeconds(90),
                    "replica ready: " + process.Describe());

            var exported = new List<(string Tenant, string Job)>();
            var polledTenants = new List<HashSet<string>>();
            for (var shard = 0; shard < Shards; shard++)
            {
                var samples = MetricsText.Parse((await replicas[shard].Http.GetStringAsync("metrics"))!);
                var jobs = samples.Named("entra_provisioning_job_info").Select(s => (s.Labels["tenant_id"], s.Labels["job_id"])).ToList();
                exported.AddRange(jobs);
                var mine = samples.Named("entra_exporter_source_up").Select(s => s.Labels["tenant_id"]).ToHashSet();
                polledTenants.Add(mine);

                Assert.Equal(shard, samples.Named("entra_exporter_shard_index").Single().Value);
                Assert.Equal(Shards, samples.Named("entra_exporter_shards").Single().Value);
                Assert.Equal(TenantCount, samples.Named("entra_exporter_configured_tenants").Single().Value);
                Assert.Equal(mine.Count, samples.Named("entra_exporter_polled_tenants").Single().Value);
                // Each replica polls exactly the tenants the documented rule gives its shard, and all of their sources are up.
                Assert.Equal(tenants.Select(t => t.TenantId).Where(t => TenantSharding.ShardOf(t, Shards) == shard).Order(), mine.Order());
                Assert.NotEmpty(mine);
                Assert.All(samples.Named("entra_exporter_source_up"), s => Assert.Equal(1, s.Value));
                // Every series with a tenant, job and log series alike, belongs to this replica's tenants.
                Assert.Contains(samples, s => s.Name == "entra_provisioning_window_events");
                Assert.All(samples.Where(s => s.Labels.ContainsKey("tenant_id")), s => Assert.Contains(s.Labels["tenant_id"], mine));
            }

            Assert.Equal(expected.Count, exported.Count); // no job twice…
            Assert.Equal(expected.Order(), exported.Order()); // …and none missing
            Assert.Equal(TenantCount, polledTenants.Sum(p => p.Count));
            // Graph saw each tenant polled by one replica only: the requests carry no replica id, but every tenant was asked.
            Assert.All(tenants, t => Assert.Contains(simulator.Requests.Snapshot(), r => r.TenantId == t.TenantId));
        }
        finally
        {
            foreach (var (process, http) in replicas)
            {
                http.Dispose();
                await process.DisposeAsync();
            }
        }
    }

    private static async Task<string?> TryGet(HttpClient http, string path)
    {
        try
        {
            var response = await http.GetAsync(path);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
