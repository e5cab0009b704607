namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// A real server tool (Prometheus, Alertmanager) started on a free loopback port with a throw-away working
/// directory holding its configuration; ready once its /-/ready answers; killed and cleaned up on dispose.
/// </summary>
public abstract class ToolServer : IAsyncDisposable
{
    private ManagedProcess process = null!;
    private string directory = "";

    public Uri Address { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    protected static async Task<T> StartAsync<T>(T server, string[] binaries, string configName, string configYaml, IDictionary<string,
        string>? files, Func<string, int, IEnumerable<string>> arguments, string description)
        where T : ToolServer
    {
        var binary = Tools.Require(binaries);
        var dir = Directory.CreateTempSubdirectory("entra-tool-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, configName), configYaml);
        foreach (var (name, content) in files ?? new Dictionary<string, string>())
            await File.WriteAllTextAsync(Path.Combine(dir, name), content);
        var port = Tools.FreePort();
        server.directory = dir;
        server.process = ManagedProcess.Start(binary, arguments(dir, port), workingDirectory: dir);
        server.Address = new Uri($"http://127.0.0.1:{port}/");
        server.Http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
        await Tools.Eventually(async () => !server.process.HasExited && (await server.Http.GetAsync("-/ready")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), $"{description} to be ready: " + server.process.Describe());
        return server;
    }

    public string Describe() => process.Describe();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await process.DisposeAsync();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        GC.SuppressFinalize(this);
    }
}
