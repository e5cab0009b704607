using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// Kestrel's limits, the same on every listener (HTTP and HTTPS), so that idle, slow and abandoned clients cannot
/// starve scrapes or probes. Every client the exporter has (Prometheus, the kubelet's probes, a browser on the status
/// page) sends a small GET in one go and reads a response of at most a few megabytes, so the limits can be tight:
/// <list type="bullet">
/// <item>a connection that sends nothing (a new one, or one between requests) is closed after <see cref="KeepAliveTimeout"/>:
/// reusing a scraper's connection between scrapes saves little, while an abandoned one would hold a slot;</item>
/// <item>a client has <see cref="RequestHeadersTimeout"/> from its first byte to send its request line and headers, and
/// a TLS client <see cref="TlsHandshakeTimeout"/> to finish its handshake (slowloris);</item>
/// <item>at most <see cref="MaxConnections"/> connections are open at once. Kestrel closes any connection past it at
/// once, probes included, so the limit is not what keeps probes in: it sits far above what scrapers and probes need,
/// so that a crowd of idle clients leaves room for them, while the timeouts above empty the crowd within seconds
/// (Kestrel checks them on its one-second heartbeat). It stays below the process's open-file limit: past that limit
/// the listener could accept nothing at all, refusing probes with no log of why.</item>
/// <item>request bodies (no endpoint reads one) and responses move at a minimum rate, or the connection is closed.</item>
/// </list>
/// None of these is configurable: they suit any deployment of the exporter (docs/operations.md, "Endpoints").
/// </summary>
public static class ServingLimits
{
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan TlsHandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The most connections at once, when the open-file limit allows it.</summary>
    public const int MaxConnectionsCeiling = 4096;

    /// <summary>Descriptors left to all but client connections: outgoing Graph and Log Analytics connections, files, watchers.</summary>
    public const int ReservedDescriptors = 256;

    public const long MaxRequestBodyBytes = 64 * 1024;
    public const int MaxRequestHeadersBytes = 32 * 1024;
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>Kestrel's default minimum rate, stated so that it is ours: 240 bytes a second after a 5 s grace.</summary>
    public static readonly MinDataRate MinDataRate = new(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));

    /// <summary>The connection limit under a soft open-file limit of <paramref name="openFiles"/> (null: unknown or unlimited).</summary>
    public static long MaxConnections(long? openFiles) => openFiles is { } n
        ? Math.Min(MaxConnectionsCeiling, Math.Max(n / 2, n - ReservedDescriptors))
        : MaxConnectionsCeiling;

    /// <summary>Every limit, under an open-file limit of <paramref name="openFiles"/> (<see cref="OpenFilesLimit"/>).</summary>
    public static void ApplyTo(KestrelServerOptions kestrel, long? openFiles)
    {
        kestrel.AddServerHeader = false;
        var limits = kestrel.Limits;
        limits.MaxRequestBodySize = MaxRequestBodyBytes;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersBytes;
        limits.MaxRequestLineSize = MaxRequestLineBytes;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.MaxConcurrentConnections = MaxConnections(openFiles);
        limits.MinRequestBodyDataRate = MinDataRate;
        limits.MinResponseDataRate = MinDataRate;
    }

    /// <summary>For every HTTPS endpoint, whichever certificate it presents.</summary>
    public static void ApplyTo(HttpsConnectionAdapterOptions https) => https.HandshakeTimeout = TlsHandshakeTimeout;
}
