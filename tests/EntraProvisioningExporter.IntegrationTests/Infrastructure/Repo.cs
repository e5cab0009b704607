namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>Paths in the repository and its build output, found from the test assembly's location.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new System.IO.DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "Exporter.sln"))) return dir.FullName;
        throw new InvalidOperationException("Exporter.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Debug or Release, as this test assembly was built.</summary>
    public static string Configuration { get; } = AppContext.BaseDirectory.Contains(
        $"{System.IO.Path.DirectorySeparatorChar}Release{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        ? "Release" : "Debug";

    public static string ExporterDll
        => Path("src", "EntraProvisioningExporter", "bin", Configuration, "net10.0", "EntraProvisioningExporter.dll");
}
