using System.Net;

namespace EntraProvisioningExporter.Configuration;

/// <summary>The Microsoft clouds: their Graph and login hosts. Tokens are only ever sent to these Graph hosts over HTTPS.</summary>
public static class GraphCloud
{
    public const string Public = "Public";
    public const string USGovernment = "USGovernment";
    public const string USGovernmentDoD = "USGovernmentDoD";
    public const string China = "China";

    private static readonly Dictionary<string, (string GraphHost, Uri Authority)> Clouds = new(StringComparer.OrdinalIgnoreCase)
    {
        [Public] = ("graph.microsoft.com", new Uri("https://login.microsoftonline.com/")),
        [USGovernment] = ("graph.microsoft.us", new Uri("https://login.microsoftonline.us/")),
        [USGovernmentDoD] = ("dod-graph.microsoft.us", new Uri("https://login.microsoftonline.us/")),
        [China] = ("microsoftgraph.chinacloudapi.cn", new Uri("https://login.chinacloudapi.cn/")),
    };

    public static IReadOnlyCollection<string> Names => Clouds.Keys;

    public static bool IsKnown(string? cloud) => cloud is not null && Clouds.ContainsKey(cloud);

    public static IReadOnlyCollection<string> MicrosoftGraphHosts { get; } = Clouds.Values.Select(c => c.GraphHost)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public static Uri DefaultGraphEndpoint(string cloud) => new($"https://{Clouds[cloud].GraphHost}/v1.0");

    public static Uri AuthorityHost(string cloud) => Clouds[cloud].Authority;

    /// <summary>
    /// The token scope for the cloud's Graph, whatever host the requests go to: a loopback proxy in front of Graph
    /// (AllowTokenToLoopback) needs a Graph token, not one for its own address.
    /// </summary>
    public static string Scope(string? cloud) => $"https://{Clouds[IsKnown(cloud) ? cloud! : Public].GraphHost}/.default";

    public static bool IsMicrosoftGraphHost(string host) => MicrosoftGraphHosts.Contains(host);

    /// <summary>Where a token may go: HTTPS and a Microsoft Graph host of any cloud.</summary>
    public static bool MayReceiveToken(Uri uri) => uri.Scheme == Uri.UriSchemeHttps && IsMicrosoftGraphHost(uri.Host);

    /// <summary>Where this tenant's token may go: a Microsoft Graph host, or loopback when the tenant explicitly allows it.</summary>
    public static bool MayReceiveToken(Uri uri, TenantOptions tenant) => MayReceiveToken(uri)
        || (tenant.AllowTokenToLoopback && IsLoopback(uri));

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    public static Uri GraphEndpointOf(TenantOptions tenant) =>
        tenant.GraphEndpoint ?? DefaultGraphEndpoint(IsKnown(tenant.Cloud) ? tenant.Cloud : Public);
}
