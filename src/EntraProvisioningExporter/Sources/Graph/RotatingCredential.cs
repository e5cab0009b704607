using Azure.Core;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// A tenant's credential that a configuration reload can replace (a rotated client secret or certificate) without
/// rebuilding the clients and sources that use it, so the tenant keeps its counters and cursors. Each token request
/// goes to the credential in force; the replaced one's cached token is not used again.
/// </summary>
public sealed class RotatingCredential(TokenCredential initial) : TokenCredential
{
    private TokenCredential current = initial;

    public void Replace(TokenCredential next) => Volatile.Write(ref current, next);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        Volatile.Read(ref current).GetToken(requestContext, cancellationToken);

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        Volatile.Read(ref current).GetTokenAsync(requestContext, cancellationToken);
}
