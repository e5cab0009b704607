using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// The methods an endpoint that only reads answers: GET, and HEAD as GET without the body (Kestrel sends no body on a
/// HEAD response, whatever the handler writes). Any other method gets 405 with <c>Allow: GET, HEAD</c> from routing's
/// method policy, before the metrics protection or the handler runs, so that a POST neither reads nor changes anything.
/// </summary>
public static class ReadOnlyEndpoints
{
    private static readonly HttpMethodMetadata GetAndHead = new([HttpMethods.Get, HttpMethods.Head]);

    /// <summary>Restricts the endpoint to GET and HEAD; routing uses the last method metadata, so this also widens MapGet's.</summary>
    public static TBuilder AllowGetAndHeadOnly<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(GetAndHead);
}
