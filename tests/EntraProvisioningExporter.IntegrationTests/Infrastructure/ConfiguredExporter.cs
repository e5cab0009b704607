using System.Globalization;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// An exporter process (either build) on the demo tenant with its settings in files, as in Kubernetes: a ConfigFile
/// (the poll interval) and a SecretsDirectory (the /metrics bearer token). What it runs on is observable from outside:
/// the poll interval on /metrics, and which token /metrics accepts (the grace period is 0 unless given). Run as root,
/// it is started without the capabilities that let root read any file, so that an unreadable file is unreadable to it.
/// </summary>
public sealed class ConfiguredExporter : IAsyncDisposable
{
    public const string OldToken = "old-scrape-token-0123456789";
    public const string NewToken = "new-scrape-token-9876543210";

    private ConfiguredExporter(string directory, int port)
    {
        Directory = directory;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Directory { get; }
    public string ConfigFile => Path.Combine(Directory, "exporter.json");
    public string Secrets => Path.Combine(Directory, "secrets");
    public string TokenFile => Path.Combine(Secrets, "Exporter__MetricsAuth__BearerToken");
    public int Port { get; }
    public HttpClient Http { get; }
    public ManagedProcess Process { get; private set; } = null!;

    /// <summary>Writes the files (interval 20 s, the old token), starts the exporter and waits until it serves them.</summary>
    /// <param name="kubelet">Lay the secrets out as the kubelet does a mounted Secret, and update them as it does (<see
    /// cref="WriteTokenAsync"/>).</param>
    public static async Task<ConfiguredExporter> StartAsync(string build, IEnumerable<string>? arguments = null, string grace = "00:00:00",
        bool waitReady = true, bool kubelet = false)
    {
        var exporter = new ConfiguredExporter(System.IO.Directory.CreateTempSubdirectory("entra-config-").FullName,
            Tools.FreePort()) { kubelet = kubelet };
        System.IO.Directory.CreateDirectory(exporter.Secrets);
        await exporter.WriteConfigAsync(20, grace);
        await exporter.WriteTokenAsync(OldToken);
        exporter.Process = StartUnprivileged(ExporterBuild.Named(build),
            ["--demo", "--urls", $"http://127.0.0.1:{exporter.Port}", "--ConfigFile", exporter.ConfigFile,
                "--SecretsDirectory", exporter.Secrets, .. arguments ?? []]);
        if (waitReady)
            await Tools.Eventually(async () => await exporter.StateAsync() == (20, OldToken), TimeSpan.FromSeconds(90),
                "the exporter serving its files: " + exporter.Process.Describe());
        return exporter;
    }

    /// <summary>The exporter, without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH when the tests run as root (setpriv, util-linux).</summary>
    public static ManagedProcess StartUnprivileged(ExporterBuild build, IEnumerable<string> arguments)
    {
        var (fileName, prefix) = build.Command;
        return IsRoot
            ? ManagedProcess.Start(Tools.Require("setpriv"),
                ["--bounding-set", "-dac_override,-dac_read_search", "--", fileName, .. prefix, .. arguments])
            : ManagedProcess.Start(fileName, [.. prefix, .. arguments]);
    }

    private static bool IsRoot => File.ReadLines("/proc/self/status")
        .Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");

    public Task WriteConfigAsync(int pollIntervalSeconds, string grace = "00:00:00") => File.WriteAllTextAsync(ConfigFile,
        System.Text.Json.JsonSerializer.Serialize(new { Exporter = new { PollInterval = TimeSpan.FromSeconds(pollIntervalSeconds)
            .ToString("c"), MetricsAuth = new { Mode = "Bearer", GracePeriod = grace } } }));

    private bool kubelet;

    public Task WriteTokenAsync(string token)
    {
        if (!kubelet) return File.WriteAllTextAsync(TokenFile, token + "\n");
        UpdateAsKubelet(new Dictionary<string, string> { [Path.GetFileName(TokenFile)] = token + "\n" });
        return Task.CompletedTask;
    }

    /// <summary>
    /// Updates the secrets as the kubelet updates a mounted Secret: the files in a new timestamped directory, the
    /// ..data link swapped to it by one rename, each key a link through ..data, the old directory removed.
    /// </summary>
    private void UpdateAsKubelet(IReadOnlyDictionary<string, string> files)
    {
        var stamp = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss.fffffff}";
        System.IO.Directory.CreateDirectory(Path.Combine(Secrets, stamp));
        foreach (var (name, content) in files) File.WriteAllText(Path.Combine(Secrets, stamp, name), content);
        var data = Path.Combine(Secrets, "..data");
        var previous = new FileInfo(data).LinkTarget;
        File.CreateSymbolicLink(Path.Combine(Secrets, "..data_tmp"), stamp);
        System.Diagnostics.Process.Start("mv", ["-T", Path.Combine(Secrets, "..data_tmp"), data])!.WaitForExit();
        foreach (var name in files.Keys)
            if (new FileInfo(Path.Combine(Secrets, name)).LinkTarget is null) File.CreateSymbolicLink(Path.Combine(Secrets, name),
                Path.Combine("..data", name));
        if (previous is not null) System.IO.Directory.Delete(Path.Combine(Secrets, previous), recursive: true);
    }

    /// <summary>
    /// The poll interval in force and the token /metrics accepts (the first of the two that does), or (0, "") when neither.
    /// </summary>
    public async Task<(double Interval, string Token)> StateAsync()
    {
        foreach (var token in (string[])[OldToken, NewToken])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "metrics") { Headers = { Authorization = new("Bearer", token) } };
            using var response = await Http.SendAsync(request);
            if (!response.IsSuccessStatusCode) continue;
            var samples = MetricsText.Parse(await response.Content.ReadAsStringAsync());
            return (samples.Named("entra_exporter_poll_interval_seconds").Single().Value, token);
        }
        return (0, "");
    }

    /// <summary>Whether /metrics accepts <paramref name="token"/> now.</summary>
    public async Task<bool> AcceptsAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics") { Headers = { Authorization = new("Bearer", token) } };
        using var response = await Http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    /// <summary>entra_exporter_config_last_reload_successful, read with whichever token works.</summary>
    public async Task<double> ReloadGaugeAsync()
    {
        foreach (var token in (string[])[OldToken, NewToken])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "metrics") { Headers = { Authorization = new("Bearer", token) } };
            using var response = await Http.SendAsync(request);
            if (response.IsSuccessStatusCode)
                return MetricsText.Parse(await response.Content.ReadAsStringAsync()).Named("entra_exporter_config_last_reload_successful")
                    .Single().Value;
        }
        throw new InvalidOperationException("neither token is accepted");
    }

    /// <summary>The log lines written so far (stdout; one line a log event).</summary>
    public IReadOnlyList<string> Lines => Process.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Waits for a log line, after the first <paramref name="skip"/> lines, that contains every one of <paramref name="parts"/>.
    /// </summary>
    public Task<string> WaitForLineAsync(int skip, params string[] parts) => WaitForLineAsync(skip, TimeSpan.FromSeconds(30), parts);

    public async Task<string> WaitForLineAsync(int skip, TimeSpan timeout, params string[] parts)
    {
        string? found = null;
        await Tools.Eventually(() =>
        {
            found = Lines.Skip(skip).FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            return Task.FromResult(found is not null);
        }, timeout, $"a log line with {string.Join(" and ", parts)}: {Process.Describe()}");
        return found!;
    }

    /// <summary>Waits until <paramref name="count"/> reloads have ended, accepted or refused (their one outcome line each).</summary>
    public async Task WaitForOutcomesAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Outcomes() < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {count} reload outcomes: {Process.Describe()}");
            await Task.Delay(10);
        }
    }

    private int Outcomes()
    {
        var text = Process.StandardOutput;
        int Count(string what)
        {
            var n = 0;
            for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length,
                StringComparison.Ordinal)) n++;
            return n;
        }
        return Count("Configuration reload accepted after") + Count("Configuration reload refused after");
    }

    public void Signal(string signal) =>
        System.Diagnostics.Process.Start("kill", ["-" + signal, Process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>Puts the files back as they should be, with the new values (interval 40 s, the new token).</summary>
    public async Task RepairAsync(string grace = "00:00:00")
    {
        Remove(ConfigFile);
        await WriteConfigAsync(40, grace);
        if (!System.IO.Directory.Exists(Secrets) || new DirectoryInfo(Secrets).LinkTarget is not null) Remove(Secrets);
        System.IO.Directory.CreateDirectory(Secrets);
        foreach (var entry in System.IO.Directory.EnumerateFileSystemEntries(Secrets)) Remove(entry);
        await WriteTokenAsync(NewToken);
    }

    /// <summary>Removes whatever is at <paramref name="path"/>: a file, link, FIFO or directory.</summary>
    public static void Remove(string path)
    {
        var entry = new FileInfo(path);
        if (entry.LinkTarget is not null || (entry.Exists && !System.IO.Directory.Exists(path))) entry.Delete();
        else if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true);
    }

    /// <summary>/proc/PID/fd and /proc/PID/task: open file descriptors and threads.</summary>
    public (int Descriptors, int Threads) Resources() =>
        (System.IO.Directory.GetFileSystemEntries($"/proc/{Process.Id}/fd").Length,
            System.IO.Directory.GetDirectories($"/proc/{Process.Id}/task").Length);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Process.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
