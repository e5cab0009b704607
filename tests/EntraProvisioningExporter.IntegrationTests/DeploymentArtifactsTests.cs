using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The Dockerfile's publish output and the docker compose stack's configuration, checked with the real tools.</summary>
public class DeploymentArtifactsTests
{
    [Fact]
    public async Task Prometheus_configuration_of_the_compose_stack_is_valid_and_loads_the_canonical_rules()
    {
        await using var p = ManagedProcess.Start(Tools.Require("promtool"), ["check", "config", Repo.Path("docker", "prometheus", "prometheus.yml")]);
        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, p.Describe());
        Assert.Contains("SUCCESS: 1 rule files found", p.StandardOutput, StringComparison.Ordinal);
        // Every rule of the canonical file: its alerts and its 4 recording rules.
        Assert.Contains($"SUCCESS: {Monitoring.Alerts().Count + 4} rules found", p.StandardOutput, StringComparison.Ordinal);
        // "rules" beside it is the chart's directory itself, not a copy.
        var link = new DirectoryInfo(Repo.Path("docker", "prometheus", "rules")).ResolveLinkTarget(returnFinalTarget: true);
        Assert.Equal(Path.GetDirectoryName(Monitoring.RulesFile), link!.FullName);
    }

    [Fact]
    public async Task Alertmanager_configuration_of_the_compose_stack_is_valid()
    {
        await using var p = ManagedProcess.Start(Tools.Require("amtool"), ["check-config", Repo.Path("docker", "alertmanager", "alertmanager.yml")]);
        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, p.Describe());
        Assert.Contains("SUCCESS", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compose_stack_mounts_the_canonical_rules_and_dashboard_and_runs_the_demo()
    {
        var compose = Yaml.Documents(await File.ReadAllTextAsync(Repo.Path("docker", "docker-compose.yml"))).Single();
        var services = compose["services"]!.AsObject();
        Assert.Equal(["alertmanager", "exporter", "grafana", "prometheus"], services.Select(s => s.Key).Order());
        Assert.Contains("--demo", services["exporter"]!["command"]!.AsArray().Select(x => (string)x!));
        Assert.Equal("true", (string?)services["exporter"]!["read_only"]);

        string HostPath(string service, string containerPath)
        {
            var mount = services[service]!["volumes"]!.AsArray().Select(v => (string)v!).Single(v => v.Split(':')[1] == containerPath);
            return Path.GetFullPath(Path.Combine(Repo.Path("docker"), mount.Split(':')[0]));
        }
        Assert.Equal(Path.GetDirectoryName(Monitoring.RulesFile), HostPath("prometheus", "/etc/prometheus/rules"));
        Assert.Equal(Path.GetDirectoryName(Monitoring.DashboardFile), HostPath("grafana", "/var/lib/grafana/dashboards"));
        var provider = Yaml.Documents(await File.ReadAllTextAsync(Repo.Path("docker", "grafana", "provisioning", "dashboards", "entra-provisioning.yml"))).Single();
        Assert.Equal("/var/lib/grafana/dashboards", (string?)provider["providers"]![0]!["options"]!["path"]);
        var datasource = Yaml.Documents(await File.ReadAllTextAsync(Repo.Path("docker", "grafana", "provisioning", "datasources", "prometheus.yml"))).Single();
        Assert.Equal("http://prometheus:9090", (string?)datasource["datasources"]![0]!["url"]);
    }

    [Fact]
    public async Task Dockerfile_runs_the_tested_publish_command_on_a_chiseled_non_root_runtime()
    {
        var dockerfile = await File.ReadAllTextAsync(Repo.Path("Dockerfile"));
        Assert.Contains("RUN bash docker/publish.sh /app", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled", dockerfile, StringComparison.Ordinal);
        Assert.Contains("USER $APP_UID", dockerfile, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 9464", dockerfile, StringComparison.Ordinal);
        Assert.Contains("org.opencontainers.image.source", dockerfile, StringComparison.Ordinal);
        Assert.True(File.Exists(Repo.Path(".dockerignore")));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Publish_output_serves_metrics_in_demo_mode_as_a_non_root_user_from_a_read_only_directory()
    {
        var root = Directory.CreateTempSubdirectory("entra-publish-").FullName;
        // Traversable by the unprivileged user, as /app is in the image.
        File.SetUnixFileMode(root, (UnixFileMode)0x1ED); // 0755
        var app = Path.Combine(root, "app");
        await using (var publish = ManagedProcess.Start("bash", [Repo.Path("docker", "publish.sh"), app]))
            Assert.True(await publish.WaitForExitAsync(TimeSpan.FromMinutes(5)) == 0, publish.Describe());
        Assert.True(File.Exists(Path.Combine(app, "EntraProvisioningExporter.dll")));
        Assert.False(File.Exists(Path.Combine(app, "EntraProvisioningExporter")), "no apphost: the runtime image runs dotnet");
        // The GC settings the memory figures were measured with (a misspelt MSBuild property once left server GC on).
        var gc = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(app, "EntraProvisioningExporter.runtimeconfig.json")))!["runtimeOptions"]!["configProperties"]!;
        Assert.False((bool)gc["System.GC.Server"]!, "workstation GC");
        Assert.Equal(9, (int)gc["System.GC.ConserveMemory"]!);

        // Read-only: no write permission for anyone on the publish output.
        foreach (var entry in Directory.EnumerateFileSystemEntries(app, "*", SearchOption.AllDirectories).Append(app))
            File.SetUnixFileMode(entry, File.GetUnixFileMode(entry) & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        var before = Directory.EnumerateFileSystemEntries(app, "*", SearchOption.AllDirectories).Order().ToList();
        var tmp = Directory.CreateTempSubdirectory("entra-tmp-").FullName;
        File.SetUnixFileMode(tmp, (UnixFileMode)0x3FF); // 1777-like for the unprivileged user

        var port = Tools.FreePort();
        string[] run = ["dotnet", Path.Combine(app, "EntraProvisioningExporter.dll"), "--demo", "--urls", $"http://127.0.0.1:{port}"];
        var isRoot = geteuid() == 0;
        var env = new Dictionary<string, string> { ["HOME"] = "/nonexistent", ["TMPDIR"] = tmp, ["DOTNET_CLI_HOME"] = tmp };
        await using var exporter = isRoot
            ? ManagedProcess.Start(Tools.Require("setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups", "--", .. run], env)
            : ManagedProcess.Start(run[0], run[1..], env);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the published exporter to be ready: " + exporter.Describe());
        Assert.Contains("entra_provisioning_job_quarantined{", await http.GetStringAsync("metrics"), StringComparison.Ordinal);

        Assert.NotEqual("0", Uid(exporter.Id));
        Assert.Equal(before, Directory.EnumerateFileSystemEntries(app, "*", SearchOption.AllDirectories).Order().ToList());
    }

    private static string Uid(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();
}
