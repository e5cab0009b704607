using System.Net;
using System.Net.Sockets;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Graph;
using EntraProvisioningExporter.Sources.LogAnalytics;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Sources;

/// <summary>
/// The exceptions the real SDKs throw (Microsoft.Graph through the exporter's own pipeline, and the Log Analytics
/// client on Azure.Core) against the simulator over loopback, and the reason each maps to: by type and status only.
/// </summary>
public sealed class PollErrorClassifierTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider time = new(Start);
    private SimulatedTenant tenant = null!;
    private SimulatorServer simulator = null!;

    public async Task InitializeAsync()
    {
        tenant = DemoScenario.Create(Start);
        simulator = await TestSimulator.StartAsync([tenant], time);
    }

    public async Task DisposeAsync() => await simulator.DisposeAsync();

    private const int MaxRetries = 2;

    /// <summary>The exporter's Graph client (the SDK's handlers and ours), with no credential.</summary>
    private (Microsoft.Graph.GraphServiceClient Client, HttpClient Http) Graph(Uri? endpoint = null)
    {
        var graph = new TenantOptions { TenantId = tenant.TenantId, GraphEndpoint = endpoint ?? simulator.GraphEndpoint(tenant.TenantId) };
        var options = new ExporterOptions { HttpMaxRetries = MaxRetries };
        return GraphClientBuilder.Build(graph, options, new ExporterSelfMetrics([]), "graph", credential: null, TimeProvider.System);
    }

    private async Task<Exception> GraphFailureAsync(CancellationToken cancellationToken = default, Uri? endpoint = null)
    {
        var (client, http) = Graph(endpoint);
        using (http)
        {
            return await Assert.ThrowsAnyAsync<Exception>(() => client.ServicePrincipals.GetAsync(cancellationToken: cancellationToken));
        }
    }

    private void Fault(FaultKind kind, int status = 503, string path = "servicePrincipals", int? times = null, bool retryAfter = false) =>
        simulator.Faults.Add(new FaultRule
        {
            Kind = kind, StatusCode = status, PathPattern = path, Times = times, RetryAfterSeconds = 0, StatusWithRetryAfter = retryAfter,
            ErrorCode = "SomeCode", ErrorMessage = "Graph's words.",
        });

    private static (string Reason, string Detail) Classified(Exception ex)
    {
        var (reason, detail) = PollErrorClassifier.Classify(ex);
        Assert.Contains(reason, PollErrorReason.All);
        Assert.False(string.IsNullOrWhiteSpace(detail));
        return (reason, detail);
    }

    [Fact]
    public async Task A_429_that_outlasts_the_SDKs_retries_is_throttled_with_its_status_and_attempts()
    {
        Fault(FaultKind.Throttle);
        var ex = await GraphFailureAsync();

        var exhausted = Assert.IsType<GraphRetriesExhaustedException>(ex);
        Assert.Equal(HttpStatusCode.TooManyRequests, exhausted.StatusCode);
        Assert.Equal(MaxRetries + 1, exhausted.Attempts);
        // What the SDK itself threw: its attempts' failures, with the status only in their text.
        Assert.IsType<AggregateException>(exhausted.InnerException);
        Assert.Equal((PollErrorReason.Throttled, $"Graph answered 429 TooManyRequests after {MaxRetries + 1} attempts."), Classified(ex));
    }

    [Fact]
    public async Task A_503_that_outlasts_the_SDKs_retries_is_a_server_error()
    {
        Fault(FaultKind.Status, 503, retryAfter: true);
        var ex = await GraphFailureAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, Assert.IsType<GraphRetriesExhaustedException>(ex).StatusCode);
        Assert.Equal(PollErrorReason.ServerError, Classified(ex).Reason);
    }

    [Fact]
    public async Task A_429_that_clears_within_the_retries_is_no_failure()
    {
        Fault(FaultKind.Throttle, times: MaxRetries);
        var (client, http) = Graph();
        using (http) Assert.NotNull(await client.ServicePrincipals.GetAsync());
    }

    [Theory]
    [InlineData(401, PollErrorReason.Auth)]
    [InlineData(403, PollErrorReason.Forbidden)]
    [InlineData(400, PollErrorReason.ClientError)]
    [InlineData(404, PollErrorReason.ClientError)]
    [InlineData(500, PollErrorReason.ServerError)]
    public async Task A_status_the_SDK_does_not_retry_maps_by_Kiotas_ResponseStatusCode(int status, string reason)
    {
        Fault(FaultKind.Status, status);
        var ex = await GraphFailureAsync();

        Assert.Equal(status, Assert.IsAssignableFrom<Microsoft.Kiota.Abstractions.ApiException>(ex).ResponseStatusCode);
        var (actual, detail) = Classified(ex);
        Assert.Equal(reason, actual);
        Assert.Contains("SomeCode", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_a_bad_response()
    {
        Fault(FaultKind.NotJson);
        Assert.Equal(PollErrorReason.BadResponse, Classified(await GraphFailureAsync()).Reason);
    }

    [Fact]
    public async Task A_refused_connection_is_a_network_error()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now

        var ex = await GraphFailureAsync(endpoint: new Uri($"http://127.0.0.1:{port}/v1.0"));
        var plain = Assert.IsType<HttpRequestException>(ex);
        Assert.Null(plain.StatusCode);
        Assert.Equal(PollErrorReason.Network, Classified(ex).Reason);
    }

    [Fact]
    public async Task A_request_cancelled_by_the_cycles_timeout_is_a_timeout()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var ex = await GraphFailureAsync(cancelled.Token);
        Assert.IsAssignableFrom<OperationCanceledException>(ex);
        Assert.Equal(PollErrorReason.Timeout, Classified(ex).Reason);
    }

    [Theory]
    [InlineData(403, PollErrorReason.Forbidden)]
    [InlineData(400, PollErrorReason.ClientError)]
    public async Task A_Log_Analytics_failure_maps_by_RequestFailedExceptions_status(int status, string reason)
    {
        Fault(FaultKind.Status, status, path: "workspaces");
        var client = new LogsQueryClient(simulator.LogAnalyticsEndpoint(tenant.TenantId), credential: null, new LogsQueryClientOptions());
        var ex = await Assert.ThrowsAsync<Azure.RequestFailedException>(() =>
            client.QueryWorkspaceAsync(tenant.WorkspaceId, "AADProvisioningLogs | count", new QueryTimeRange(Start.AddHours(-1), Start)));
        Assert.Equal(status, ex.Status);
        Assert.Equal(reason, Classified(ex).Reason);
    }

    [Fact]
    public void An_exception_is_not_classified_by_its_text()
    {
        // The words of a retried 429, without its type or status: nothing says it was throttled.
        var words = new AggregateException(new HttpRequestException("HTTP request failed with status code: TooManyRequests.{}"));
        Assert.NotEqual(PollErrorReason.Throttled, Classified(words).Reason);
    }
}
