using System.Diagnostics;
using System.Text;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>A child process whose output is captured and which is killed (with its children) on dispose.</summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();

    private ManagedProcess(Process process) => this.process = process;

    public static ManagedProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        // Keep the child's behaviour independent of the developer's shell.
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        info.Environment.Remove("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var p = new Process { StartInfo = info, EnableRaisingEvents = true };
        var managed = new ManagedProcess(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (managed.stdout) managed.stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (managed.stderr) managed.stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return managed;
    }

    /// <summary>Runs the exporter: the IL build on the JIT by default, or the native AOT binary the image ships.</summary>
    public static ManagedProcess StartExporter(IEnumerable<string> arguments, IDictionary<string, string>? environment = null,
        ExporterBuild? build = null)
    {
        var (fileName, prefix) = (build ?? ExporterBuild.Jit).Command;
        return Start(fileName, [.. prefix, .. arguments], environment);
    }

    public string StandardOutput { get { lock (stdout) return stdout.ToString(); } }
    public string StandardError { get { lock (stderr) return stderr.ToString(); } }
    public bool HasExited => process.HasExited;
    public int Id => process.Id;

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        process.WaitForExit(); // drains the output readers
        return process.ExitCode;
    }

    public string Describe()
        => $"exit={(process.HasExited ? process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : $"running ({Kernel()})")}"
            + $"\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";

    /// <summary>What the kernel says a running process is and waits in: why one that prints nothing is stuck.</summary>
    private string Kernel()
    {
        try
        {
            var status = File.ReadLines($"/proc/{process.Id}/status")
                .Where(l => l.StartsWith("Name:", StringComparison.Ordinal) || l.StartsWith("State:", StringComparison.Ordinal)
                    || l.StartsWith("Threads:", StringComparison.Ordinal))
                .Select(l => l.Replace('\t', ' '));
            return $"{string.Join(", ", status)}, wchan {File.ReadAllText($"/proc/{process.Id}/wchan")}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        process.Dispose();
    }
}
