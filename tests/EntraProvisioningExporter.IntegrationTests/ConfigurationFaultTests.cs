using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using static EntraProvisioningExporter.IntegrationTests.Infrastructure.ConfiguredExporter;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// What an operator can do wrong to the configuration's files, done to a running exporter process (both builds): each
/// fault ends in a refusal logged with its file and reason, the reload gauge at 0 and the process running on exactly
/// the old configuration (the poll interval and the token on /metrics say which), also after a SIGHUP during the
/// fault; repairing it ends in exactly the new one. And the same faults at start: exit code 2, the file and the
/// reason, no stack trace. Every wait is on a log line or the gauge, bounded; none is a sleep.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // FIFOs, symbolic links and file modes
public sealed class ConfigurationFaultTests
{
    /// <summary>
    /// A fault: what it does to the files (the other file also changes, after it), and the problem it must be refused with.
    /// </summary>
    private sealed record Fault(Func<ConfiguredExporter, Task> Break, Func<ConfiguredExporter, string> Problem);

    private static async Task BreakConfig(ConfiguredExporter e, Action<string> breakIt)
    {
        Remove(e.ConfigFile);
        breakIt(e.ConfigFile);
        await e.WriteTokenAsync(NewToken); // after the break, so no reload can see the new token with a good ConfigFile
    }

    private static async Task BreakSecrets(ConfiguredExporter e, Action<ConfiguredExporter> breakIt)
    {
        breakIt(e);
        await e.WriteConfigAsync(40);
    }

    private static void Fifo(string path) => System.Diagnostics.Process.Start("mkfifo", [path])!.WaitForExit();

    private static readonly Dictionary<string, Fault> Faults = new()
    {
        ["ConfigFile malformed"] = new(e => BreakConfig(e, p => File.WriteAllText(p, """{"Exporter": {"PollInterval": "00:00:40" """)),
            e => $"ConfigFile {e.ConfigFile}: not valid JSON (line 1, byte "),
        ["ConfigFile deleted"] = new(e => BreakConfig(e, _ => { }), e => $"ConfigFile {e.ConfigFile}: required file is missing"),
        ["ConfigFile replaced by a directory"] = new(e => BreakConfig(e, p => Directory.CreateDirectory(p)),
            e => $"ConfigFile {e.ConfigFile}: not a regular file (a directory)"),
        ["ConfigFile a dangling symlink"] = new(
            e => BreakConfig(e, p => File.CreateSymbolicLink(p, Path.Combine(e.Directory, "gone.json"))),
            e => $"ConfigFile {e.ConfigFile}: a dangling symbolic link (to "
                + $"{Path.Combine(e.Directory, "gone.json")}, which does not exist)"),
        ["ConfigFile a symlink loop"] = new(e => BreakConfig(e, p =>
            {
                File.CreateSymbolicLink(p, Path.Combine(e.Directory, "loop.json"));
                File.CreateSymbolicLink(Path.Combine(e.Directory, "loop.json"), p);
            }), e => $"ConfigFile {e.ConfigFile}: a symbolic link that loops"),
        ["ConfigFile a FIFO"] = new(e => BreakConfig(e, Fifo),
            e => $"ConfigFile {e.ConfigFile}: not a regular file (a FIFO, socket or device)"),
        ["ConfigFile empty"] = new(e => BreakConfig(e, p => File.WriteAllText(p, "")), e => $"ConfigFile {e.ConfigFile}: file is empty"),
        ["ConfigFile unreadable"] = new(e => BreakConfig(e, p =>
            {
                File.WriteAllText(p, """{"Exporter":{"PollInterval":"00:00:40"}}""");
                File.SetUnixFileMode(p, UnixFileMode.None);
            }), e => $"ConfigFile {e.ConfigFile}: permission denied"),
        ["ConfigFile a value of the wrong type"] = new(
            e => BreakConfig(e, p => File.WriteAllText(p, """{"Exporter":{"PollInterval":"soon"}}""")),
            _ => "'Exporter:PollInterval'"),
        ["ConfigFile an invalid value"] = new(e => BreakConfig(e, p => File.WriteAllText(p,
                """{"Exporter":{"PollInterval":"-00:00:05","MetricsAuth":{"Mode":"Bearer","GracePeriod":"00:00:00"}}}""")),
            _ => "Exporter:PollInterval: must be a positive duration"),
        ["SecretsDirectory deleted"] = new(e => BreakSecrets(e, x => Directory.Delete(x.Secrets, recursive: true)),
            e => $"SecretsDirectory {e.Secrets}: required directory is missing"),
        ["SecretsDirectory replaced by a file"] = new(e => BreakSecrets(e, x =>
            {
                Directory.Delete(x.Secrets, recursive: true);
                File.WriteAllText(x.Secrets, "not a directory");
            }), e => $"SecretsDirectory {e.Secrets}: not a directory"),
        // What the kubelet leaves for a moment when a key leaves a Secret.
        ["secret a dangling symlink"] = new(
            e => BreakSecrets(e,
                x => File.CreateSymbolicLink(Path.Combine(x.Secrets, "Exporter__Logs__Window"), "..data/Exporter__Logs__Window")),
            e => $"secret file {Path.Combine(e.Secrets, "Exporter__Logs__Window")}: a dangling symbolic link (to "
                + "..data/Exporter__Logs__Window, which does not exist)"),
        ["secret empty"] = new(e => BreakSecrets(e, x => File.WriteAllText(x.TokenFile, "\n")),
            e => $"secret file {e.TokenFile}: empty value for Exporter:MetricsAuth:BearerToken"),
        ["secret unreadable"] = new(e => BreakSecrets(e, x =>
            {
                File.WriteAllText(x.TokenFile, NewToken);
                File.SetUnixFileMode(x.TokenFile, UnixFileMode.None);
            }), e => $"secret file {e.TokenFile}: permission denied"),
        ["secret a FIFO"] = new(e => BreakSecrets(e, x => Fifo(Path.Combine(x.Secrets, "Exporter__Logs__Window"))),
            e => $"secret file {Path.Combine(e.Secrets, "Exporter__Logs__Window")}: not a regular file (a FIFO, socket or device)"),
        ["secret for a tenant that does not exist"] = new(e => BreakSecrets(e,
                x => File.WriteAllText(Path.Combine(x.Secrets, "Exporter__Tenants__5__Credential__ClientSecret"), "tenant-five-s3cret")),
            e => $"Exporter:Tenants:5: no such tenant: tenants are numbered from 0 without gaps and the only tenant is 0 (set only by "
                + $"secret file {Path.Combine(e.Secrets, "Exporter__Tenants__5__Credential__ClientSecret")})"),
    };

    /// <summary>The reload faults' names (run by the classes of ConfigurationFaultRowTests.cs, one build each).</summary>
    public static TheoryData<string> FaultNames => new(Faults.Keys);

    internal static async Task RefusedUntilRepairedAsync(string build, string fault)
    {
        var row = Faults[fault];
        await using var e = await StartAsync(build);

        var skip = e.Lines.Count;
        await row.Break(e);
        var problem = row.Problem(e);
        await e.WaitForLineAsync(skip, "Configuration reload refused: ", problem);
        await AssertRunsOnTheOldConfigurationAsync(e);

        // SIGHUP while the fault is there: refused again, with the same reason; the process lives on.
        skip = e.Lines.Count;
        e.Signal("HUP");
        await e.WaitForLineAsync(skip, "Configuration reload refused after", "SIGHUP");
        await e.WaitForLineAsync(skip, "Configuration reload refused: ", problem);
        await AssertRunsOnTheOldConfigurationAsync(e);

        // Repaired: exactly the new configuration, both files of it.
        skip = e.Lines.Count;
        await e.RepairAsync();
        await e.WaitForLineAsync(skip, "Configuration reload accepted after");
        await Tools.Eventually(async () => await e.StateAsync() == (40, NewToken) && await e.ReloadGaugeAsync() == 1,
            TimeSpan.FromSeconds(30), "the new configuration: " + e.Process.Describe());
        Assert.False(await e.AcceptsAsync(OldToken), "the old token, with no grace period, is refused");
        AssertNoSecretLogged(e.Process);
    }

    private static async Task AssertRunsOnTheOldConfigurationAsync(ConfiguredExporter e)
    {
        Assert.False(e.Process.HasExited, e.Process.Describe());
        Assert.Equal(0, await e.ReloadGaugeAsync());
        Assert.Equal((20, OldToken), await e.StateAsync());
        Assert.False(await e.AcceptsAsync(NewToken), "the new token must not be half-applied");
        Assert.True((await e.Http.GetAsync("healthz")).IsSuccessStatusCode);
    }

    private static void AssertNoSecretLogged(ManagedProcess process)
    {
        foreach (var secret in (string[])[OldToken, NewToken, "tenant-five-s3cret", "pfx-password"])
            Assert.DoesNotContain(secret, process.StandardOutput + process.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task A_rotated_token_applies_at_reload_and_the_old_one_stays_valid_for_the_grace_period_when_the_exporter_moves_first(
        string build)
    {
        // The Secret mounted and rotated as the kubelet does it: the ..data link swapped to a new directory.
        await using var e = await StartAsync(build, grace: "00:10:00", kubelet: true);
        var skip = e.Lines.Count;
        await e.WriteTokenAsync(NewToken);
        await e.WaitForLineAsync(skip, "Configuration reload accepted after");
        Assert.True(await e.AcceptsAsync(NewToken), "the rotated token applies at once");
        Assert.True(await e.AcceptsAsync(OldToken), "a scraper still on the old token is served during the grace period");
        Assert.False(await e.AcceptsAsync("some-other-token-0123456789"));
        Assert.Equal(1, await e.ReloadGaugeAsync());
        AssertNoSecretLogged(e.Process);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task A_scraper_that_moves_to_the_new_token_first_is_served_from_the_exporters_reload_on(string build)
    {
        await using var e = await StartAsync(build, grace: "00:10:00");
        Assert.False(await e.AcceptsAsync(NewToken), "a token the exporter has not been given yet");
        var skip = e.Lines.Count;
        await e.WriteTokenAsync(NewToken);
        await e.WaitForLineAsync(skip, "Configuration reload accepted after");
        Assert.True(await e.AcceptsAsync(NewToken));
        Assert.True(await e.AcceptsAsync(OldToken), "and the other scrapers, still on the old one, during the grace period");
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task A_TLS_certificate_that_does_not_load_is_refused_and_the_last_good_one_is_served(string build)
    {
        var dir = Directory.CreateTempSubdirectory("entra-tls-reload-").FullName;
        try
        {
            using var first = LoopbackCertificate.Create("CN=first");
            using var second = LoopbackCertificate.Create("CN=second");
            var pfx = Path.Combine(dir, "metrics.pfx");
            var config = Path.Combine(dir, "exporter.json");
            await File.WriteAllBytesAsync(pfx, first.Export(X509ContentType.Pfx, "pfx-password"));
            await File.WriteAllTextAsync(config, """{"Exporter":{"PollInterval":"00:00:20"}}""");
            var port = Tools.FreePort();
            await using var p = ManagedProcess.StartExporter(
            [
                "--demo", "--ConfigFile", config,
                "--Kestrel:Endpoints:Https:Url", $"https://127.0.0.1:{port}",
                "--Kestrel:Endpoints:Https:Certificate:Path", pfx,
                "--Kestrel:Endpoints:Https:Certificate:Password", "pfx-password",
            ], build: ExporterBuild.Named(build));
            async Task<(string? Thumbprint, double Interval, double Gauge)> Served()
            {
                string? seen = null;
                using var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _,
                    _) => { seen = certificate?.GetCertHashString(); return true; } } };
                using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}/") };
                var samples = MetricsText.Parse(await http.GetStringAsync("metrics"));
                return (seen, samples.Named("entra_exporter_poll_interval_seconds").Single().Value,
                    samples.Named("entra_exporter_config_last_reload_successful").Single().Value);
            }
            await Tools.Eventually(async () => await Served() == (first.Thumbprint, 20, 1), TimeSpan.FromSeconds(90),
                "TLS with the first certificate: " + p.Describe());

            var skip = p.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            await File.WriteAllBytesAsync(pfx, [0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef]); // not a certificate
            await File.WriteAllTextAsync(config, """{"Exporter":{"PollInterval":"00:00:40"}}""");
            var problem = $"Configuration reload refused: Kestrel:Endpoints:Https:Certificate: {pfx} does not load as a certificate";
            await Tools.Eventually(() => Task.FromResult(p.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(skip)
                .Any(l => l.Contains(problem, StringComparison.Ordinal))), TimeSpan.FromSeconds(30), "the refusal: " + p.Describe());
            Assert.Equal((first.Thumbprint, 20, 0), await Served());

            skip = p.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            System.Diagnostics.Process.Start("kill",
                ["-HUP", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await Tools.Eventually(() => Task.FromResult(p.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(skip)
                .Any(l => l.Contains(problem, StringComparison.Ordinal))), TimeSpan.FromSeconds(30),
                "the refusal after SIGHUP: " + p.Describe());
            Assert.Equal((first.Thumbprint, 20, 0), await Served());

            await File.WriteAllBytesAsync(pfx, second.Export(X509ContentType.Pfx, "pfx-password"));
            await Tools.Eventually(async () => await Served() == (second.Thumbprint, 40, 1), TimeSpan.FromSeconds(30),
                "the second certificate and the new interval: " + p.Describe());
            Assert.False(p.HasExited);
            AssertNoSecretLogged(p);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Signals_a_storm_of_SIGHUP_coalesces_SIGUSR1_and_SIGUSR2_are_ignored_and_SIGTERM_drains(string build)
    {
        await using var e = await StartAsync(build);
        var skip = e.Lines.Count;
        e.Signal("USR1");
        e.Signal("USR2");
        await e.WaitForLineAsync(skip, "SIGUSR1 received and ignored");
        await e.WaitForLineAsync(skip, "SIGUSR2 received and ignored");

        skip = e.Lines.Count;
        const int Storm = 60;
        for (var i = 0; i < Storm; i++) e.Signal("HUP");
        await e.WaitForLineAsync(skip, "Configuration reload accepted after SIGHUP");
        Assert.False(e.Process.HasExited, e.Process.Describe());
        Assert.Equal((20, OldToken), await e.StateAsync());
        Assert.Equal(1, await e.ReloadGaugeAsync());
        var reloads = e.Lines.Skip(skip).Count(l => l.Contains("Configuration reload accepted after SIGHUP", StringComparison.Ordinal));
        Assert.InRange(reloads, 1, Storm - 1); // coalesced: signals that come while a reload waits or runs share one

        e.Signal("TERM");
        Assert.Equal(0, await e.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain("   at ", e.Process.StandardOutput + e.Process.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task A_SecretsDirectory_missing_at_start_is_a_warning_and_is_read_once_it_appears(string build)
    {
        var dir = Directory.CreateTempSubdirectory("entra-late-secrets-").FullName;
        try
        {
            var config = Path.Combine(dir, "exporter.json");
            var secrets = Path.Combine(dir, "secrets");
            await File.WriteAllTextAsync(config, """{"Exporter":{"PollInterval":"00:00:20"}}""");
            var port = Tools.FreePort();
            await using var p = ManagedProcess.StartExporter(["--demo", "--urls", $"http://127.0.0.1:{port}", "--ConfigFile", config,
                "--SecretsDirectory", secrets], build: ExporterBuild.Named(build));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            async Task<(double Interval, double Gauge)> State()
            {
                var samples = MetricsText.Parse(await http.GetStringAsync("metrics"));
                return (samples.Named("entra_exporter_poll_interval_seconds").Single().Value,
                    samples.Named("entra_exporter_config_last_reload_successful").Single().Value);
            }
            await Tools.Eventually(async () => await State() == (20, 1), TimeSpan.FromSeconds(90), "serving: " + p.Describe());
            Assert.Contains($"warn: EntraProvisioningExporter.Hosting.ConfigurationReloader[", p.StandardOutput, StringComparison.Ordinal);
            Assert.Contains($"SecretsDirectory {secrets} does not exist: no settings are read from it until it appears", p.StandardOutput,
                StringComparison.Ordinal);

            // It appears (written elsewhere, then moved in, as a volume is mounted): read.
            var staging = Path.Combine(dir, "staging");
            Directory.CreateDirectory(staging);
            await File.WriteAllTextAsync(Path.Combine(staging, "Exporter__PollInterval"), "00:00:40");
            Directory.Move(staging, secrets);
            await Tools.Eventually(async () => await State() == (40, 1), TimeSpan.FromSeconds(30),
                "the settings of the SecretsDirectory: " + p.Describe());

            // Once read, it may not vanish: its settings would silently fall back to their defaults.
            Directory.Delete(secrets, recursive: true);
            await Tools.Eventually(async () => await State() == (40, 0), TimeSpan.FromSeconds(30), "the refusal: " + p.Describe());
            Assert.Contains($"Configuration reload refused: SecretsDirectory {secrets}: required directory is missing", p.StandardOutput,
                StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// A start-up fault: what it does to a fresh directory (returning the extra arguments) and the problem it must be named by.
    /// </summary>
    private sealed record StartFault(Func<string, string[]> Setup, Func<string, string> Problem);

    private static string[] WithConfig(string dir, string content, Action<string>? then = null)
    {
        var path = Path.Combine(dir, "exporter.json");
        File.WriteAllText(path, content);
        then?.Invoke(path);
        return ["--ConfigFile", path];
    }

    private static string[] WithSecret(string dir, string name, Action<string> write)
    {
        var secrets = Path.Combine(dir, "secrets");
        Directory.CreateDirectory(secrets);
        write(Path.Combine(secrets, name));
        return ["--SecretsDirectory", secrets];
    }

    private static readonly Dictionary<string, StartFault> StartFaults = new()
    {
        ["ConfigFile malformed"] = new(d => WithConfig(d, """{"Exporter": {"""),
            d => $"ConfigFile {Path.Combine(d, "exporter.json")}: not valid JSON (line 1, byte "),
        ["ConfigFile missing"] = new(d => ["--ConfigFile", Path.Combine(d, "exporter.json")],
            d => $"ConfigFile {Path.Combine(d, "exporter.json")}: required file is missing"),
        ["ConfigFile a directory"] = new(d =>
            {
                Directory.CreateDirectory(Path.Combine(d, "exporter.json"));
                return ["--ConfigFile", Path.Combine(d, "exporter.json")];
            }, d => $"ConfigFile {Path.Combine(d, "exporter.json")}: not a regular file (a directory)"),
        ["ConfigFile unreadable"] = new(d => WithConfig(d, "{}", p => File.SetUnixFileMode(p, UnixFileMode.None)),
            d => $"ConfigFile {Path.Combine(d, "exporter.json")}: permission denied"),
        ["ConfigFile empty"] = new(d => WithConfig(d, "  \n"), d => $"ConfigFile {Path.Combine(d, "exporter.json")}: file is empty"),
        ["ConfigFile a FIFO"] = new(d =>
            {
                Fifo(Path.Combine(d, "exporter.json"));
                return ["--ConfigFile", Path.Combine(d, "exporter.json")];
            }, d => $"ConfigFile {Path.Combine(d, "exporter.json")}: not a regular file (a FIFO, socket or device)"),
        ["secret empty"] = new(d => WithSecret(d, "Exporter__Logs__Window", p => File.WriteAllText(p, "")),
            d => $"secret file {Path.Combine(d, "secrets", "Exporter__Logs__Window")}: empty value for Exporter:Logs:Window"),
        ["secret a dangling symlink"] = new(
            d => WithSecret(d, "Exporter__Logs__Window", p => File.CreateSymbolicLink(p, "..data/Exporter__Logs__Window")),
            d => $"secret file {Path.Combine(d, "secrets", "Exporter__Logs__Window")}: a dangling symbolic link"),
        ["secret for a tenant that does not exist"] = new(
            d => WithSecret(d, "Exporter__Tenants__5__Credential__ClientSecret", p => File.WriteAllText(p, "tenant-five-s3cret")),
            d => $"Exporter:Tenants:5: no such tenant: tenants are numbered from 0 without gaps and the only tenant is 0 (set only by "
                + $"secret file {Path.Combine(d, "secrets", "Exporter__Tenants__5__Credential__ClientSecret")})"),
        ["TLS certificate that does not load"] = new(d =>
            {
                File.WriteAllBytes(Path.Combine(d, "metrics.pfx"), [1, 2, 3]);
                return ["--Kestrel:Endpoints:Https:Url", $"https://127.0.0.1:{Tools.FreePort()}",
                    "--Kestrel:Endpoints:Https:Certificate:Path", Path.Combine(d, "metrics.pfx")];
            }, d => $"Kestrel:Endpoints:Https:Certificate: {Path.Combine(d, "metrics.pfx")} does not load as a certificate"),
        ["ConfigWatchInterval invalid"] = new(_ => ["--ConfigWatchInterval", "often"], _ => "ConfigWatchInterval: must be a duration from "
            + "00:00:00 (not watched) to 01:00:00; got 'often'."),
    };

    public static TheoryData<string, string> StartRows
    {
        get
        {
            var rows = new TheoryData<string, string>();
            foreach (var build in ExporterBuild.All)
                foreach (var name in StartFaults.Keys) rows.Add(build.Name, name);
            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(StartRows))]
    public async Task A_fault_at_start_exits_2_naming_its_file_and_reason_without_a_stack_trace(string build, string fault)
    {
        var dir = Directory.CreateTempSubdirectory("entra-start-fault-").FullName;
        try
        {
            var row = StartFaults[fault];
            await using var p = StartUnprivileged(ExporterBuild.Named(build),
                ["--demo", "--urls", $"http://127.0.0.1:{Tools.FreePort()}", .. row.Setup(dir)]);
            Assert.Equal(2, await p.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Configuration is invalid:", p.StandardError, StringComparison.Ordinal);
            Assert.Contains($"  - {row.Problem(dir)}", p.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
            AssertNoSecretLogged(p);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
