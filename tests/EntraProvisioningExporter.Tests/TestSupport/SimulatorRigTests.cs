using System.Collections.Concurrent;
using System.Net;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.TestSupport;

/// <summary>The rig answers as the simulator did before it moved out of the shipped binary.</summary>
public sealed class SimulatorRigTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_refused_token_is_answered_401_without_graphs_throttle_headers_as_before_the_rig_moved()
    {
        var tenant = DemoScenario.Create(Start);
        tenant.ThrottleLimitPercentage = "0.9";
        await using var simulator = await TestSimulator.StartAsync([tenant], new FakeTimeProvider(Start));
        simulator.AcceptedBearerTokens = new ConcurrentDictionary<string, bool>();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, simulator.GraphEndpoint(tenant.TenantId) + "/servicePrincipals");
        request.Headers.Authorization = new("Bearer", "revoked");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        // At 74f4eb7 the denial was written as it was: it cost no resource unit and said nothing of the app's limit.
        Assert.False(response.Headers.Contains("x-ms-resource-unit"));
        Assert.False(response.Headers.Contains("x-ms-throttle-limit-percentage"));
    }
}
