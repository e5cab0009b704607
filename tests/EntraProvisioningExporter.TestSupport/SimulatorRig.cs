using System.Collections.Concurrent;
using System.Globalization;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Graph;

namespace EntraProvisioningExporter.TestSupport;

/// <summary>
/// What the tests do to the simulator: scripted faults, refused tokens, and a record of every request and
/// Authorization header (unless it is told not to record: a long benchmark run). It plugs into <see cref="SimulatorServer"/> as its
/// interceptor; the shipped demo has none.
/// </summary>
public sealed class SimulatorRig(bool records = true) : ISimulatorInterceptor
{
    public FaultInjector Faults { get; } = new();

    public RequestLog Requests { get; } = new();

    /// <summary>Every Authorization header value the simulator has seen (tests check where tokens went).</summary>
    public ConcurrentBag<string> AuthorizationHeaders { get; } = [];

    /// <summary>
    /// When set, a request must carry one of these bearer tokens, or it gets Graph's 401 (tokens can be revoked mid-run).
    /// </summary>
    public ConcurrentDictionary<string, bool>? AcceptedBearerTokens { get; set; }

    public void Answered(SimulatedRequest request, int status)
    {
        if (records) Requests.Add(new RecordedRequest(request.At, request.Tenant.TenantId, request.Method, request.PathAndQuery,
            request.InBatch, status));
    }

    public async ValueTask<GraphResponse?> InterceptAsync(SimulatedRequest request, Func<bool, Task<GraphResponse>> answer,
        CancellationToken cancellationToken)
    {
        if (request.InBatch) return InBatch(request, await answer(false).ConfigureAwait(false));
        if (records && request.Authorization.Length > 0) AuthorizationHeaders.Add(request.Authorization);
        if (AcceptedBearerTokens is { } accepted && !(request.Authorization.StartsWith("Bearer ", StringComparison.Ordinal)
            && accepted.ContainsKey(request.Authorization[7..])))
            return GraphResponse.Error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
                with { Unmetered = true };

        var fault = Faults.Next(request.PathAndQuery, inBatch: false, request.Tenant.TenantId);
        if (fault is null) return null;
        var baseUrl = request.BaseUrl;
        switch (fault.Kind)
        {
            case FaultKind.Delay:
                await Task.Delay(fault.Delay, cancellationToken).ConfigureAwait(false);
                return null;
            case FaultKind.Throttle:
                return GraphResponse.Error(429, "TooManyRequests", "Too many requests.", new Dictionary<string, string>
                {
                    ["Retry-After"] = FaultResponses.RetryAfterOf(fault),
                    ["x-ms-throttle-scope"] = $"Tenant_Application/Read/{request.Tenant.ApplicationId}/{request.Tenant.TenantId}",
                    ["x-ms-throttle-information"] = "ResourceUnitLimitExceeded",
                });
            case FaultKind.Status:
                return GraphResponse.Error(fault.StatusCode, ErrorCodeOf(fault), fault.ErrorMessage, fault.StatusWithRetryAfter
                    ? new Dictionary<string, string> { ["Retry-After"] = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture) }
                    : null);
            case FaultKind.TruncatedJson:
                var full = await answer(false).ConfigureAwait(false);
                return full with { Body = full.Body[..(full.Body.Length / 2)] };
            case FaultKind.NotJson:
                return new GraphResponse(200, "<html><body>Service temporarily unavailable</body></html>", GraphResponse.Empty);
            case FaultKind.Body:
                return new GraphResponse(fault.BodyStatus, fault.Body, GraphResponse.Empty);
            case FaultKind.LoopingNextLink:
                return Linked(await answer(false).ConfigureAwait(false), baseUrl + request.PathAndQuery);
            case FaultKind.NextLink:
                return Linked(fault.Body == "{}" ? await answer(false).ConfigureAwait(false)
                    : new GraphResponse(200, fault.Body, GraphResponse.Empty), baseUrl + fault.NextLink);
            case FaultKind.EndlessNextLink:
                return Endless(request, await answer(false).ConfigureAwait(false));
            case FaultKind.PartialError:
                return await answer(true).ConfigureAwait(false);
            default:
                return null;
        }
    }

    /// <summary>An inner request of a $batch: faults answer it inside the batch, each with its own status.</summary>
    private GraphResponse? InBatch(SimulatedRequest request, GraphResponse answer)
    {
        if (Faults.Next(request.PathAndQuery, inBatch: true, request.Tenant.TenantId) is not { } fault) return null;
        return fault.Kind switch
        {
            FaultKind.Throttle => GraphResponse.Error(429, "TooManyRequests", "Too many requests.",
                new Dictionary<string, string> { ["Retry-After"] = FaultResponses.RetryAfterOf(fault) }),
            FaultKind.Status => GraphResponse.Error(fault.StatusCode, ErrorCodeOf(fault), fault.ErrorMessage),
            FaultKind.Body => new GraphResponse(fault.BodyStatus, fault.Body, GraphResponse.Empty),
            // Inside a batch the body is embedded JSON, so a broken body is sent as a string the client cannot parse as the model.
            FaultKind.TruncatedJson or FaultKind.NotJson => new GraphResponse(200, "<html>not json</html>", GraphResponse.Empty),
            FaultKind.NextLink => Linked(fault.Body == "{}" ? answer : new GraphResponse(200, fault.Body, GraphResponse.Empty),
                request.BaseUrl + fault.NextLink),
            FaultKind.EndlessNextLink => Endless(request, answer),
            _ => null,
        };
    }

    private static GraphResponse Linked(GraphResponse page, string nextLink) =>
        page with { Body = FaultResponses.WithNextLink(page.Body, nextLink) };

    /// <summary>A page of an endless chain: past the first it is empty, whatever the API would say of the token.</summary>
    private static GraphResponse Endless(SimulatedRequest request, GraphResponse answer)
    {
        var page = request.PathAndQuery.Contains(FaultResponses.EndlessToken, StringComparison.Ordinal) ? GraphResponse.Json("{}") : answer;
        return page with { Body = FaultResponses.Endless(page.Body, request.BaseUrl, request.PathAndQuery) };
    }

    private static string ErrorCodeOf(FaultRule fault) => string.IsNullOrEmpty(fault.ErrorCode) ? "ServiceUnavailable" : fault.ErrorCode;
}

/// <summary>The simulator as the tests start it: with a <see cref="SimulatorRig"/>, reached through these members.</summary>
public static class TestSimulator
{
    public static Task<SimulatorServer> StartAsync(IEnumerable<Simulator.Scenario.SimulatedTenant> tenants, TimeProvider time,
        int firstPort = 0,
        bool records = true, CancellationToken cancellationToken = default) =>
        SimulatorServer.StartAsync(tenants, time, firstPort, new SimulatorRig(records), cancellationToken);

    extension(SimulatorServer server)
    {
        public SimulatorRig Rig => server.Interceptor as SimulatorRig
            ?? throw new InvalidOperationException("This simulator was started without a test rig (TestSimulator.StartAsync).");

        public FaultInjector Faults => server.Rig.Faults;

        public RequestLog Requests => server.Rig.Requests;

        public ConcurrentBag<string> AuthorizationHeaders => server.Rig.AuthorizationHeaders;

        public ConcurrentDictionary<string, bool>? AcceptedBearerTokens
        {
            get => server.Rig.AcceptedBearerTokens;
            set => server.Rig.AcceptedBearerTokens = value;
        }
    }
}
