using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// Last line of defence, innermost in the pipeline: a request carrying a bearer token leaves only over
/// HTTPS for a Microsoft Graph host. Configuration validation already refuses other endpoints; this also
/// covers a next-link or redirect that points elsewhere.
/// </summary>
public sealed class TokenDestinationGuardHandler(Func<Uri, bool>? mayReceiveToken = null) : DelegatingHandler
{
    private readonly Func<Uri, bool> mayReceiveToken = mayReceiveToken ?? GraphCloud.MayReceiveToken;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is not null && request.RequestUri is { } uri && !mayReceiveToken(uri))
            throw new TokenDestinationRefusedException($"Refused to send a Graph token to {uri.Scheme}://{uri.Host}: tokens go only over "
                + "HTTPS to Microsoft Graph hosts.");
        return base.SendAsync(request, cancellationToken);
    }
}

public sealed class TokenDestinationRefusedException(string message) : Exception(message);
