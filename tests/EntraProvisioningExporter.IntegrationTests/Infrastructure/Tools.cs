namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// Real external tools (promtool, prometheus…). A missing tool fails the test, never skips it: the README's
/// test command (tests/run-all.sh) installs them.
/// </summary>
public static class Tools
{
    /// <summary>The first of the names found on PATH (Debian calls Alertmanager "prometheus-alertmanager").</summary>
    public static string Require(params string[] names)
    {
        foreach (var name in names)
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = System.IO.Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        throw new InvalidOperationException($"'{names[0]}' is not on PATH. Run the test suite with tests/run-all.sh, which installs "
            + "it (see README.md, Quick start).");
    }

    /// <summary>
    /// A port for a server a test starts later (a child process, a tool). Taken below the kernel's ephemeral range, which
    /// bind(0) and connect() draw from, so that no server of a test running beside this one, binding port 0, can take it
    /// first; and never the same twice in this process. A port something already listens on is skipped.
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref nextPort);
            if (port >= EphemeralLow) port = Interlocked.Exchange(ref nextPort, EphemeralLow - PortPool) + 1; // wrapped
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // taken by something else: the next one
            }
        }
    }

    private const int PortPool = 10_000;

    /// <summary>The lowest port of the kernel's ephemeral range (its default when it cannot be read).</summary>
    private static readonly int EphemeralLow = ReadEphemeralLow();

    // Each test process starts at its own place in the pool, so two running at once rarely meet.
    private static int nextPort = EphemeralLow - PortPool + Environment.ProcessId % PortPool;

    private static int ReadEphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            return range[0] > PortPool + 1024 ? range[0] : 32768;
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }

    /// <summary>Polls until the condition holds or the time is up (then fails with the description).</summary>
    public static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string description)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception ex) when (ex
                is HttpRequestException or InvalidOperationException or TaskCanceledException or System.Text.Json.JsonException)
            {
                last = ex;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Timed out after {timeout.TotalSeconds}s waiting for: {description}"
            + (last is null ? "" : $" (last error: {last.Message})"));
    }
}
