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
        throw new InvalidOperationException($"'{names[0]}' is not on PATH. Run the test suite with tests/run-all.sh, which installs it (see README.md, Quick start).");
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
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
