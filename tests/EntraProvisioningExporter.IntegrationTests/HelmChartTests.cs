using System.Text;
using System.Text.Json.Nodes;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The Helm chart, linted and rendered with the real helm (tests/run-all.sh fetches it when it is not on PATH).</summary>
public class HelmChartTests
{
    private static readonly string Chart = Repo.Path("charts", "entra-provisioning-exporter");
    private static string Scenario(string name) => Path.Combine(Chart, "ci", name);

    private static async Task<(int Exit, string Out, string Err)> HelmAsync(params string[] args)
    {
        await using var p = ManagedProcess.Start(Tools.Require("helm"), args, new Dictionary<string,
            string> { ["HELM_CACHE_HOME"] = Path.GetTempPath() + "helm-cache", ["HELM_CONFIG_HOME"] = Path.GetTempPath() + "helm-config" });
        var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(120));
        return (exit, p.StandardOutput, p.StandardError);
    }

    private static async Task<IReadOnlyList<JsonObject>> RenderAsync(params string[] valuesFiles)
    {
        var args = new List<string> { "template", "demo", Chart, "--namespace", "monitoring" };
        foreach (var f in valuesFiles) args.AddRange(["-f", f]);
        var (exit, output, error) = await HelmAsync([.. args]);
        Assert.True(exit == 0, error);
        return Yaml.Documents(output);
    }

    private static JsonObject Single(IReadOnlyList<JsonObject> docs, string kind, string? nameSuffix = null) =>
        Assert.Single(docs,
            d => (string?)d["kind"] == kind
            && (nameSuffix is null || ((string)d["metadata"]!["name"]!).EndsWith(nameSuffix, StringComparison.Ordinal)));

    /// <summary>The exporter's workload: a Deployment, or with sharding a StatefulSet (never both).</summary>
    private static JsonObject Workload(IReadOnlyList<JsonObject> docs)
        => Assert.Single(docs, d => (string?)d["kind"] is "Deployment" or "StatefulSet");

    private static JsonObject Container(IReadOnlyList<JsonObject> docs)
        => (JsonObject)Workload(docs)["spec"]!["template"]!["spec"]!["containers"]![0]!;

    private static string Settings(IReadOnlyList<JsonObject> docs)
        => (string)Single(docs, "ConfigMap", "exporter")["data"]!["appsettings.json"]!;

    [Theory]
    [InlineData(null)]
    [InlineData("workload-identity-values.yaml")]
    [InlineData("client-secret-existing-values.yaml")]
    [InlineData("all-optional-values.yaml")]
    [InlineData("sharded-values.yaml")]
    [InlineData("lean-values.yaml")]
    public async Task Lint_strict_passes(string? scenario)
    {
        var (exit, output, error) = scenario is null ? await HelmAsync("lint", "--strict", Chart)
            : await HelmAsync("lint", "--strict", Chart, "-f", Scenario(scenario));
        Assert.True(exit == 0, output + error);
        Assert.Contains("0 chart(s) failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Defaults_render_a_hardened_deployment_with_probes_and_nothing_optional()
    {
        var docs = await RenderAsync();
        var pod = Single(docs, "Deployment")["spec"]!["template"]!["spec"]!;
        Assert.Equal("true", (string?)pod["securityContext"]!["runAsNonRoot"]);
        Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
        var c = Container(docs);
        var sc = c["securityContext"]!;
        Assert.Equal("true", (string?)sc["readOnlyRootFilesystem"]);
        Assert.Equal("false", (string?)sc["allowPrivilegeEscalation"]);
        Assert.Equal("true", (string?)sc["runAsNonRoot"]);
        Assert.Equal(["ALL"], sc["capabilities"]!["drop"]!.AsArray().Select(x => (string)x!));
        Assert.Equal("/healthz", (string?)c["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/readyz", (string?)c["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("9464", (string?)c["ports"]![0]!["containerPort"]);
        Assert.NotNull(c["resources"]!["requests"]);
        var mounts = c["volumeMounts"]!.AsArray().ToDictionary(m => (string)m!["mountPath"]!, m => (string)m!["name"]!);
        Assert.Equal("tmp", mounts["/tmp"]);
        Assert.Equal("config", mounts["/config"]);
        Assert.Equal("9464", (string?)Single(docs, "Service")["spec"]!["ports"]![0]!["port"]);
        Assert.Equal("1", (string?)Single(docs, "Deployment")["spec"]!["replicas"]);
        Assert.DoesNotContain(docs,
            d => (string?)d["kind"]
            is "ServiceMonitor" or "PrometheusRule" or "NetworkPolicy" or "PodDisruptionBudget" or "Secret" or "ScrapeConfig");
        Assert.Null(pod.Parent!["metadata"]!["annotations"]);
        Assert.Null(JsonNode.Parse(Settings(docs))!["Exporter"]!["metrics"]);
    }

    [Fact]
    public async Task Workload_identity_annotates_the_service_account_and_labels_the_pod()
    {
        var docs = await RenderAsync(Scenario("workload-identity-values.yaml"));
        var sa = Single(docs, "ServiceAccount");
        Assert.Equal("8a6b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", (string?)sa["metadata"]!["annotations"]!["azure.workload.identity/client-id"]);
        Assert.Equal("true",
            (string?)Single(docs, "Deployment")["spec"]!["template"]!["metadata"]!["labels"]!["azure.workload.identity/use"]);
        var tenant = JsonNode.Parse(Settings(docs))!["Exporter"]!["tenants"]![0]!;
        Assert.Equal("WorkloadIdentity", (string?)tenant["credential"]!["kind"]);
        Assert.Equal("LogAnalytics", (string?)tenant["logs"]!["source"]);
    }

    [Fact]
    public async Task An_existing_secret_reaches_the_pod_as_a_watched_file_and_nothing_secret_is_rendered()
    {
        var docs = await RenderAsync(Scenario("client-secret-existing-values.yaml"));
        var source = SecretFiles(docs).Single();
        Assert.Equal("fabrikam-exporter-credentials", (string?)source["secret"]!["name"]);
        var item = source["secret"]!["items"]![0]!;
        Assert.Equal(("client-secret", "Exporter__Tenants__0__Credential__ClientSecret"), ((string?)item["key"], (string?)item["path"]));
        Assert.DoesNotContain(Container(docs)["env"]!.AsArray(),
            e => ((string)e!["name"]!).StartsWith("Exporter__", StringComparison.Ordinal));
        Assert.DoesNotContain(docs, d => (string?)d["kind"] == "Secret");
    }

    [Fact]
    public async Task Only_a_pod_change_rolls_the_pods_settings_and_secrets_are_reloaded_from_watched_files()
    {
        // The exporter reloads its ConfigMap and Secret files itself: the pod template must not change when only the
        // settings do (no checksum annotation), and the files must be mounted as directories (a subPath mount is
        // never updated by the kubelet).
        var before = await RenderAsync(Scenario("client-secret-existing-values.yaml"));
        var changed = Path.GetTempFileName();
        await File.WriteAllTextAsync(changed, "exporter:\n  pollInterval: \"00:05:00\"\n  logs:\n    window: \"02:00:00\"\n");
        var after = await RenderAsync(Scenario("client-secret-existing-values.yaml"), changed);
        File.Delete(changed);
        Assert.NotEqual(Settings(before), Settings(after));
        Assert.Equal(Single(before, "Deployment")["spec"]!["template"]!.ToJsonString(),
            Single(after, "Deployment")["spec"]!["template"]!.ToJsonString());

        var c = Container(after);
        var env = c["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
        Assert.Equal("/config/appsettings.json", env["ConfigFile"]);
        Assert.Equal("/secrets", env["SecretsDirectory"]);
        Assert.Equal("true", env["DOTNET_USE_POLLING_FILE_WATCHER"]);
        Assert.All(c["volumeMounts"]!.AsArray(), m => Assert.Null(m!["subPath"]));
        var mounts = c["volumeMounts"]!.AsArray().ToDictionary(m => (string)m!["mountPath"]!, m => (string)m!["name"]!);
        Assert.Equal(("config", "secrets"), (mounts["/config"], mounts["/secrets"]));
    }

    private static IReadOnlyList<JsonNode> SecretFiles(IReadOnlyList<JsonObject> docs) =>
        Workload(docs)["spec"]!["template"]!["spec"]!["volumes"]!.AsArray()
            .Single(v => (string?)v!["name"] == "secrets")!["projected"]!["sources"]!.AsArray().Select(s => s!).ToList();

    [Fact]
    public async Task All_optional_objects_render_from_the_canonical_files_and_no_secret_is_in_a_ConfigMap()
    {
        var docs = await RenderAsync(Scenario("all-optional-values.yaml"));
        Single(docs, "ServiceMonitor");
        Single(docs, "NetworkPolicy");
        Single(docs, "PodDisruptionBudget");

        var rule = Single(docs, "PrometheusRule");
        var canonicalRules = Yaml.Documents(await File.ReadAllTextAsync(Monitoring.RulesFile)).Single();
        Assert.Equal(Yaml.Canonical(canonicalRules["groups"]), Yaml.Canonical(rule["spec"]!["groups"]));
        Assert.Equal("kube-prometheus-stack", (string?)rule["metadata"]!["labels"]!["release"]);

        var dashboard = Single(docs, "ConfigMap", "dashboard");
        Assert.Equal("1", (string?)dashboard["metadata"]!["labels"]!["grafana_dashboard"]);
        Assert.Equal(JsonNode.Parse(await File.ReadAllTextAsync(Monitoring.DashboardFile))!.ToJsonString(),
            JsonNode.Parse((string)dashboard["data"]!["entra-provisioning.json"]!)!.ToJsonString());

        // The inline client secret lives only in the chart's Secret, never in a ConfigMap.
        const string secret = "Sup3rS3cret-inline-value";
        var secretObject = Single(docs, "Secret");
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)), (string?)secretObject["data"]!["client-secret"]);
        foreach (var cm in docs.Where(d => (string?)d["kind"] == "ConfigMap"))
        {
            var text = cm.ToJsonString();
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)), text, StringComparison.Ordinal);
        }

        // The certificate tenant: its Secret mounted read-only where the configuration points, its password as a watched file.
        var settings = JsonNode.Parse(Settings(docs))!["Exporter"]!["tenants"]![1]!["credential"]!;
        Assert.Equal("/etc/entra-provisioning-exporter/tenants/1/exporter.pfx", (string?)settings["certificatePath"]);
        var c = Container(docs);
        Assert.Contains(c["volumeMounts"]!.AsArray(),
            m => (string?)m!["mountPath"] == "/etc/entra-provisioning-exporter/tenants/1" && (string?)m["readOnly"] == "true");
        var password = SecretFiles(docs)
            .Single(s => (string?)s["secret"]!["items"]![0]!["path"] == "Exporter__Tenants__1__Credential__CertificatePassword");
        Assert.Equal("northwind-exporter-certificate", (string?)password["secret"]!["name"]);
        Assert.Contains(c["env"]!.AsArray(), e => (string?)e!["name"] == "OTEL_EXPORTER_OTLP_ENDPOINT");
    }

    [Theory]
    [InlineData("workload-identity-values.yaml")]
    [InlineData("client-secret-existing-values.yaml")]
    [InlineData("all-optional-values.yaml")]
    public async Task The_rendered_configuration_passes_the_exporters_own_validation(string scenario)
    {
        var docs = await RenderAsync(Scenario(scenario));
        var options = BindRenderedOptions(docs);
        var result = new ExporterOptionsValidator().Validate(null, options);
        // A certificate file exists only inside the pod, where its Secret is mounted.
        var errors = (result.Failures ?? [])
            .Where(f => !f.Contains(":Credential:CertificatePath: file '/etc/entra-provisioning-exporter/", StringComparison.Ordinal))
            .ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.NotEmpty(options.Tenants);
    }

    [Fact]
    public async Task Sharding_renders_a_StatefulSet_whose_pods_each_poll_their_share_of_the_tenants()
    {
        var docs = await RenderAsync(Scenario("sharded-values.yaml"));
        Assert.DoesNotContain(docs, d => (string?)d["kind"] == "Deployment");
        var set = Single(docs, "StatefulSet");
        Assert.Equal("3", (string?)set["spec"]!["replicas"]);
        Assert.Equal("Parallel", (string?)set["spec"]!["podManagementPolicy"]);
        var headless = Single(docs, "Service", "-shards");
        Assert.Equal((string?)headless["metadata"]!["name"], (string?)set["spec"]!["serviceName"]);
        Assert.Equal("None", (string?)headless["spec"]!["clusterIP"]);
        // The scraped Service (and so the ServiceMonitor) selects every shard's pod.
        var scraped = Assert.Single(docs, d => (string?)d["kind"] == "Service" && (string?)d["spec"]!["clusterIP"] != "None");
        Assert.Equal(set["spec"]!["selector"]!["matchLabels"]!.ToJsonString(), scraped["spec"]!["selector"]!.ToJsonString());

        // Each pod is named <statefulset>-<ordinal>: the exporter takes its shard from that hostname, validates,
        // and the three shards together poll each of the four tenants once.
        var polled = new List<string>();
        for (var ordinal = 0; ordinal < 3; ordinal++)
        {
            var options = BindRenderedOptions(docs);
            Assert.Equal(3, options.Sharding.Count);
            Assert.Null(options.Sharding.Index);
            options.Sharding.Index = ShardingOptions.OrdinalOf($"{(string)set["metadata"]!["name"]!}-{ordinal}");
            Assert.Equal(ordinal, options.Sharding.Index);
            var result = new ExporterOptionsValidator().Validate(null, options);
            Assert.True(result.Succeeded, result.FailureMessage);
            polled.AddRange(new Sources.TenantSharding(options).Assigned.Select(t => t.TenantId!));
        }
        Assert.Equal(BindRenderedOptions(docs).Tenants.Select(t => t.TenantId!).Order(), polled.Order());
    }

    private static IEnumerable<string> SecretPaths(IReadOnlyList<JsonObject> docs) =>
        Workload(docs)["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Where(v => (string?)v!["name"] == "secrets")
            .SelectMany(v => v!["projected"]!["sources"]!.AsArray()).SelectMany(s => s!["secret"]!["items"]!.AsArray())
                .Select(i => (string)i!["path"]!);

    private static ExporterOptions BindRenderedOptions(IReadOnlyList<JsonObject> docs)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Settings(docs))))
            // What the pod's secrets directory adds: one file per setting, named by its key.
            .AddInMemoryCollection(SecretPaths(docs)
                .Select(p => KeyValuePair.Create(p.Replace("__", ":", StringComparison.Ordinal), (string?)"from-a-secret")))
            .Build();
        var options = new ExporterOptions();
        configuration.GetSection(ExporterOptions.SectionName).Bind(options);
        return options;
    }

    [Fact]
    public async Task Bad_values_are_rejected_by_the_schema_with_a_clear_message()
    {
        var bad = Path.GetTempFileName();
        await File.WriteAllTextAsync(bad, """
            exporter:
              pollInterval: "-00:00:05"
              tenants:
                - tenantId: not-a-guid
                  credential:
                    kind: Password
            """);
        var (exit, _, error) = await HelmAsync("template", "demo", Chart, "-f", bad);
        Assert.NotEqual(0, exit);
        Assert.Contains("values don't meet the specifications of the schema", error, StringComparison.Ordinal);
        Assert.Contains("/exporter/pollInterval", error, StringComparison.Ordinal);
        Assert.Contains("/exporter/tenants/0/credential/kind", error, StringComparison.Ordinal);
        Assert.Contains("'Default', 'WorkloadIdentity', 'ManagedIdentity', 'ClientSecret', 'ClientCertificate'", error,
            StringComparison.Ordinal);
        Assert.Contains("/exporter/tenants/0/tenantId", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runbook_base_url_rewrites_the_rules_links()
    {
        var values = Path.GetTempFileName();
        await File.WriteAllTextAsync(values,
            "prometheusRule:\n  enabled: true\n  runbookBaseUrl: https://wiki.example.com/entra/runbooks\n");
        var rule = Single(await RenderAsync(values), "PrometheusRule");
        var urls = rule["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Where(r => r!["alert"] is not null)
            .Select(r => (string)r!["annotations"]!["runbook_url"]!).ToList();
        Assert.Equal(Monitoring.Alerts().Count, urls.Count);
        Assert.True(urls.Count >= 12);
        Assert.All(urls, u => Assert.StartsWith("https://wiki.example.com/entra/runbooks#", u, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_lean_profile_renders_an_exclude_list_the_exporter_accepts_and_a_change_to_it_rolls_no_pod()
    {
        var docs = await RenderAsync(Scenario("lean-values.yaml"));
        var options = BindRenderedOptions(docs);
        Assert.Empty(options.Metrics.Include);
        Assert.Equal(["entra_provisioning_job_last_execution_*_entries", "entra_provisioning_job_last_execution_*_deltas",
            "entra_provisioning_job_last_execution_expected_exports", "dotnet_*"], options.Metrics.Exclude);
        var result = new ExporterOptionsValidator().Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);
        // The nine per-run counts of the last execution are left out; its state and times stay.
        var excluded = Metrics.MetricTable.Build(options).Excluded;
        Assert.Equal(9, excluded.Count);
        Assert.All(excluded, n => Assert.StartsWith("entra_provisioning_job_last_execution_", n, StringComparison.Ordinal));
        Assert.Contains(Metrics.MetricTable.Build(options).Families, f => f.Name == "entra_provisioning_job_last_execution_state");

        // Exporter:Metrics applies at reload: a change to it renders the same pod template, so no pod rolls.
        var other = Path.GetTempFileName();
        await File.WriteAllTextAsync(other, "exporter:\n  metrics:\n    exclude: [\"dotnet_*\"]\n");
        var changed = await RenderAsync(Scenario("lean-values.yaml"), other);
        File.Delete(other);
        Assert.Equal(Workload(docs)["spec"]!["template"]!.ToJsonString(), Workload(changed)["spec"]!["template"]!.ToJsonString());
        Assert.NotEqual(Single(docs, "ConfigMap", "exporter").ToJsonString(), Single(changed, "ConfigMap", "exporter").ToJsonString());
    }

    [Fact]
    public async Task The_probe_scrape_config_targets_each_tenant_at_the_pod_that_polls_it()
    {
        var docs = await RenderAsync(Scenario("sharded-values.yaml"));
        var scrape = Single(docs, "ScrapeConfig");
        Assert.Equal("monitoring.coreos.com/v1alpha1", (string?)scrape["apiVersion"]);
        var spec = scrape["spec"]!;
        Assert.Equal("/probe", (string?)spec["metricsPath"]);
        Assert.Equal("20000", (string?)spec["sampleLimit"]);
        Assert.Equal(("__param_tenant", "instance"),
            ((string?)spec["relabelings"]![0]!["sourceLabels"]![0], (string?)spec["relabelings"]![0]!["targetLabel"]));
        var set = (string)Single(docs, "StatefulSet")["metadata"]!["name"]!;
        var options = BindRenderedOptions(docs);
        var targets = spec["staticConfigs"]!.AsArray()
            .ToDictionary(c => (string)c!["labels"]!["__param_tenant"]!, c => (string)c!["targets"]![0]!);
        Assert.Equal(options.Tenants.Select(t => t.Name!).Order(), targets.Keys.Order());
        foreach (var tenant in options.Tenants)
        {
            var shard = Sources.TenantSharding.ShardOf(tenant.TenantId!, 3);
            Assert.Equal($"{set}-{shard}.{set}-shards.monitoring.svc:9464", targets[tenant.Name!]);
        }
        Assert.True(targets.Values.Distinct().Count() > 1, "every tenant on one shard: the test shows nothing");

        // Without sharding every tenant is probed through the Service.
        var values = Path.GetTempFileName();
        await File.WriteAllTextAsync(values, "probe:\n  enabled: true\n");
        var single = await RenderAsync(Scenario("workload-identity-values.yaml"), values);
        File.Delete(values);
        var service = (string)Single(single, "Service")["metadata"]!["name"]!;
        Assert.All(Single(single, "ScrapeConfig")["spec"]!["staticConfigs"]!.AsArray(),
            c => Assert.Equal($"{service}.monitoring.svc:9464", (string?)c!["targets"]![0]));
        Assert.Null(Single(single, "ScrapeConfig")["spec"]!["sampleLimit"]);
    }

    [Fact]
    public async Task Both_metric_lists_or_a_malformed_pattern_are_rejected_by_the_schema()
    {
        var bad = Path.GetTempFileName();
        await File.WriteAllTextAsync(bad,
            "exporter:\n  metrics:\n    include: [\"entra_*\"]\n    exclude: [\"process_*\", \"entra job\"]\n");
        var (exit, _, error) = await HelmAsync("template", "demo", Chart, "-f", bad);
        File.Delete(bad);
        Assert.NotEqual(0, exit);
        Assert.Contains("/exporter/metrics", error, StringComparison.Ordinal);
        Assert.Contains("/exporter/metrics/exclude/1", error, StringComparison.Ordinal);
    }
}
