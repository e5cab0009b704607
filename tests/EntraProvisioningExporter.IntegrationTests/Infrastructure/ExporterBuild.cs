namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// Which build of the exporter a process test starts: the IL build on the JIT (`dotnet EntraProvisioningExporter.dll`,
/// what `dotnet build` produces), or the shipped native AOT binary that docker/publish.sh produces. The AOT binary is
/// published once: tests/run-all.sh publishes it and passes its path in EXPORTER_AOT_BINARY; outside CI, a run without
/// that variable publishes it on first use (a few minutes). Under CI=true it must be given.
/// </summary>
public sealed class ExporterBuild
{
    public const string AotBinaryVariable = "EXPORTER_AOT_BINARY";

    public static ExporterBuild Jit { get; } = new("jit");
    public static ExporterBuild Aot { get; } = new("aot");

    /// <summary>Both builds, for a process test to run against each.</summary>
    public static IReadOnlyList<ExporterBuild> All { get; } = [Jit, Aot];

    /// <summary><see cref="All"/> by name, as theory data.</summary>
    public static TheoryData<string> Names => new(All.Select(b => b.Name));

    public static ExporterBuild Named(string name) => All.Single(b => b.Name == name);

    private static readonly Lazy<string> AotPath = new(FindOrPublishAot, LazyThreadSafetyMode.ExecutionAndPublication);

    private ExporterBuild(string name) => Name = name;

    public string Name { get; }

    public override string ToString() => Name;

    /// <summary>The directory docker/publish.sh wrote the native AOT binary to (what the image copies from).</summary>
    public static string AotPublishDirectory => Path.GetDirectoryName(AotPath.Value)!;

    /// <summary>The program and the arguments that come before the exporter's own.</summary>
    public (string FileName, string[] Prefix) Command => this == Aot ? (AotPath.Value, []) : ("dotnet", [Repo.ExporterDll]);

    private static string FindOrPublishAot()
    {
        if (Environment.GetEnvironmentVariable(AotBinaryVariable) is { Length: > 0 } given)
            return File.Exists(given) ? given : throw new InvalidOperationException($"{AotBinaryVariable}={given}: no such file.");
        if (Environment.GetEnvironmentVariable("CI") == "true")
            throw new InvalidOperationException($"{AotBinaryVariable} is not set: tests/run-all.sh publishes the "
                + "native AOT binary and sets it.");
        var output = Path.Combine(Path.GetTempPath(), $"entra-exporter-aot-{Environment.ProcessId}");
        var publish = ManagedProcess.Start("bash", [Repo.Path("docker", "publish.sh"), output]);
        try
        {
            if (publish.WaitForExitAsync(TimeSpan.FromMinutes(15)).GetAwaiter().GetResult() != 0)
                throw new InvalidOperationException("docker/publish.sh failed: " + publish.Describe());
        }
        finally
        {
            publish.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return Path.Combine(output, "EntraProvisioningExporter");
    }
}
