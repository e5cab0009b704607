using System.Text.RegularExpressions;

namespace EntraProvisioningExporter.Configuration;

/// <summary>
/// Splitting the configured tenants across replicas (Exporter:Sharding). With Count = N, replica Index polls
/// only the tenants <see cref="Sources.TenantSharding"/> assigns to it, so N replicas together poll every
/// tenant exactly once. Index defaults to the StatefulSet ordinal at the end of the hostname (name-0, name-1…).
/// </summary>
public sealed partial class ShardingOptions
{
    /// <summary>How many replicas share the tenants (1: no sharding).</summary>
    public int Count { get; set; } = 1;

    /// <summary>This replica's shard, 0 … Count-1; when unset and Count &gt; 1, the hostname's StatefulSet ordinal.</summary>
    public int? Index { get; set; }

    /// <summary>In a StatefulSet the pod's hostname ends in its ordinal: that is the shard index unless one is set.</summary>
    public static void ResolveIndex(ExporterOptions options)
    {
        if (options.Sharding.Count > 1 && options.Sharding.Index is null) options.Sharding.Index = OrdinalOf(Environment.MachineName);
    }

    /// <summary>The StatefulSet ordinal a pod's hostname ends in ("exporter-2" is 2), or null when it ends in none.</summary>
    public static int? OrdinalOf(string? hostname) =>
        hostname is not null && Ordinal().Match(hostname) is { Success: true } m && int.TryParse(m.Groups[1].ValueSpan, out var n) ? n
            : null;

    [GeneratedRegex(@"-(\d{1,6})$", RegexOptions.CultureInvariant)]
    private static partial Regex Ordinal();
}
