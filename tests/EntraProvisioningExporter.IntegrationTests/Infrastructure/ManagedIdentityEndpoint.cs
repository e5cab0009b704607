using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// App Service's managed-identity protocol (IDENTITY_ENDPOINT and IDENTITY_HEADER), which MSAL speaks over plain HTTP
/// to a local endpoint: a loopback endpoint that hands out <paramref name="accessToken"/> to a request carrying the
/// header, so the token response is parsed by MSAL inside the exporter.
/// </summary>
public sealed class ManagedIdentityEndpoint(WebApplication app, string identityHeader) : IAsyncDisposable
{
    /// <summary>The query string of every token request, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The environment that points Azure.Identity's managed-identity credential here.</summary>
    public IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["IDENTITY_ENDPOINT"] = $"{app.Urls.First()}/msi/token",
        ["IDENTITY_HEADER"] = identityHeader,
    };

    public static async Task<ManagedIdentityEndpoint> StartAsync(string identityHeader, string accessToken)
    {
        ManagedIdentityEndpoint? endpoint = null;
        var app = await LoopbackApp.StartAsync(a => a.MapGet("/msi/token", (HttpContext context) =>
        {
            endpoint!.Requests.Enqueue(context.Request.QueryString.Value ?? "");
            if (context.Request.Headers["X-IDENTITY-HEADER"] != identityHeader) return Results.StatusCode(401);
            var expiresOn = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            return Results.Text($"{{\"access_token\":\"{accessToken}\",\"expires_on\":\"{expiresOn}\","
                + $"\"resource\":\"https://graph.microsoft.com\",\"token_type\":\"Bearer\"}}", "application/json");
        }));
        return endpoint = new ManagedIdentityEndpoint(app, identityHeader);
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
