using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The Dockerfile, the image it builds and the docker compose stack's configuration, checked with the real tools.</summary>
public class DeploymentArtifactsTests
{
    [Fact]
    public async Task Prometheus_configuration_of_the_compose_stack_is_valid_and_loads_the_canonical_rules()
    {
        await using var p = ManagedProcess.Start(Tools.Require("promtool"),
            ["check", "config", Repo.Path("docker", "prometheus", "prometheus.yml")]);
        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, p.Describe());
        Assert.Contains("SUCCESS: 1 rule files found", p.StandardOutput, StringComparison.Ordinal);
        // Every rule of the canonical file: its alerts and its recording rules (the baseline group's too).
        Assert.Contains("tenant_job:entra_provisioning_failures:rate1h_avg7d", Monitoring.RecordingRules());
        Assert.Contains($"SUCCESS: {Monitoring.Alerts().Count + Monitoring.RecordingRules().Count} rules found", p.StandardOutput,
            StringComparison.Ordinal);
        // "rules" beside it is the chart's directory itself, not a copy.
        var link = new DirectoryInfo(Repo.Path("docker", "prometheus", "rules")).ResolveLinkTarget(returnFinalTarget: true);
        Assert.Equal(Path.GetDirectoryName(Monitoring.RulesFile), link!.FullName);
    }

    [Fact]
    public async Task Alertmanager_configuration_of_the_compose_stack_is_valid()
    {
        await using var p = ManagedProcess.Start(Tools.Require("amtool"),
            ["check-config", Repo.Path("docker", "alertmanager", "alertmanager.yml")]);
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
        var provider = Yaml.Documents(await File.ReadAllTextAsync(Repo.Path("docker", "grafana", "provisioning", "dashboards",
            "entra-provisioning.yml"))).Single();
        Assert.Equal("/var/lib/grafana/dashboards", (string?)provider["providers"]![0]!["options"]!["path"]);
        var datasource = Yaml.Documents(await File.ReadAllTextAsync(Repo.Path("docker", "grafana", "provisioning", "datasources",
            "prometheus.yml"))).Single();
        Assert.Equal("http://prometheus:9090", (string?)datasource["datasources"]![0]!["url"]);
    }

    [Fact]
    public async Task Dockerfile_publishes_native_AOT_with_the_tested_command_and_runs_it_on_chiseled_runtime_deps_as_non_root()
    {
        var dockerfile = await File.ReadAllTextAsync(Repo.Path("Dockerfile"));
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0-noble-aot AS build", dockerfile, StringComparison.Ordinal);
        Assert.Contains("RUN bash docker/publish.sh /app", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS runtime", dockerfile, StringComparison.Ordinal);
        Assert.Contains("USER $APP_UID", dockerfile, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 9464", dockerfile, StringComparison.Ordinal);
        Assert.Contains("org.opencontainers.image.source", dockerfile, StringComparison.Ordinal);
        Assert.True(File.Exists(Repo.Path(".dockerignore")));
    }

    /// <summary>
    /// The image as a container engine would run it, as far as this machine allows (no engine, no pulls): the
    /// Dockerfile's runtime stage built by buildah on a stand-in for the chiseled runtime-deps base
    /// (tests/container/build-runtime-image.sh says how it differs), its root filesystem unpacked, and its entrypoint
    /// started from the image's own configuration (user, environment) in a mount and pid namespace, chrooted, with
    /// the root read-only and a tmpfs at /tmp.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_image_runs_the_native_binary_as_its_non_root_user_on_a_read_only_root_without_a_shell()
    {
        Assert.True(geteuid() == 0,
            "building and unpacking the image needs root (buildah mount, chroot): run the suite as root, as CI does");
        Tools.Require("buildah");
        var work = Directory.CreateTempSubdirectory("entra-image-").FullName;
        await using (var build = ManagedProcess.Start("bash",
            [Repo.Path("tests", "container", "build-runtime-image.sh"), ExporterBuild.AotPublishDirectory, work]))
            Assert.True(await build.WaitForExitAsync(TimeSpan.FromMinutes(10)) == 0, build.Describe());
        var rootfs = Path.Combine(work, "rootfs");
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(work, "config.json")))!;
        var entrypoint = config["Entrypoint"]!.AsArray().Select(e => (string)e!).ToArray();
        Assert.Equal(["/app/EntraProvisioningExporter"], entrypoint);
        Assert.Equal("1654", (string?)config["User"]);
        Assert.Equal(["EntraProvisioningExporter", "appsettings.json"],
            Directory.EnumerateFiles(Path.Combine(rootfs, "app")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray());
        foreach (var shell in new[] { "bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash" })
            Assert.False(File.Exists(Path.Combine(rootfs, shell)), $"no shell in the image ({shell})");

        var port = Tools.FreePort();
        var env = config["Env"]!.AsArray().Select(e => (string)e!).ToArray();
        // Inside the new mount and pid namespaces, what a container runtime provides: the root bind-mounted onto itself
        // and made read-only, a tmpfs at /tmp, the namespace's /proc and the host's /dev (a runtime gives a smaller
        // one); then the entrypoint as the image's user with exactly the image's environment.
        const string Namespace = "set -e; r=\"$1\"; shift; mount --bind \"$r\" \"$r\"; mount -t tmpfs -o mode=1777 tmpfs \"$r/tmp\"; "
            + "mount -t proc proc \"$r/proc\"; mount --rbind /dev \"$r/dev\"; mount -o remount,bind,ro \"$r\"; exec env -i \"$@\"";
        await using var container = ManagedProcess.Start(Tools.Require("unshare"),
        [
            "--mount", "--pid", "--fork", "--", "bash", "-c", Namespace, "_", rootfs,
            .. env, Tools.Require("chroot"), "--userspec=1654:1654", rootfs, .. entrypoint, "--demo", "--urls", $"http://127.0.0.1:{port}",
        ]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60),
            "the image's entrypoint to be ready: " + container.Describe());
        Assert.Contains("entra_provisioning_job_quarantined{", await http.GetStringAsync("metrics"), StringComparison.Ordinal);

        var pid = Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(d => d.All(char.IsAsciiDigit))
            .Select(int.Parse)
            .Single(p => File.Exists($"/proc/{p}/cmdline") && ReadOrEmpty($"/proc/{p}/cmdline")
                .StartsWith("/app/EntraProvisioningExporter\0", StringComparison.Ordinal)
                && ReadOrEmpty($"/proc/{p}/cmdline").Contains($":{port}", StringComparison.Ordinal));
        Assert.Equal("1654", Uid(pid));
        var root = File.ReadLines($"/proc/{pid}/mountinfo").Select(l => l.Split(' ')).Single(f => f[4] == "/");
        Assert.StartsWith("ro", root[5], StringComparison.Ordinal);
        Assert.Contains(File.ReadLines($"/proc/{pid}/mountinfo").Select(l => l.Split(' ')), f => f[4] == "/tmp" && f.Contains("tmpfs"));
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string Uid(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();
}
