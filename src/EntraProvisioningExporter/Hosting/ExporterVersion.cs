using System.Reflection;

namespace EntraProvisioningExporter.Hosting;

public static class ExporterVersion
{
    /// <summary>The informational version of this build (entra_exporter_build_info's version label).</summary>
    public static string Current { get; } =
        typeof(ExporterVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
