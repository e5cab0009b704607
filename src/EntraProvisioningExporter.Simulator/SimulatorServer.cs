using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EntraProvisioningExporter.Simulator.Faults;
using EntraProvisioningExporter.Simulator.Graph;
using EntraProvisioningExporter.Simulator.Logs;
using EntraProvisioningExporter.Simulator.Scenario;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Simulator;

/// <summary>
/// A simulated Entra tenant (or several) over real HTTP on loopback. Each tenant has its own port with Graph
/// at the root (<c>http://127.0.0.1:{port}/v1.0</c>), as the real service has: the Graph SDK derives $batch
/// step URLs by cutting at the version segment, so a path prefix per tenant would not survive batching.
/// Test and demo control (faults) is under <c>/_sim/</c> on every port.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private sealed record TenantApis(SimulatedTenant Tenant, GraphApi Api, LogAnalyticsApi LogAnalytics, ProvisioningLogsApi ProvisioningLogs);

    private readonly List<TenantApis> tenants;
    private readonly Dictionary<int, TenantApis> byPort = [];
    private readonly Dictionary<string, Uri> endpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider time;

    private SimulatorServer(WebApplication app, IEnumerable<SimulatedTenant> tenants, TimeProvider time, bool recordRequests)
    {
        this.app = app;
        this.time = time;
        Requests = new RequestLog(recordRequests);
        this.tenants = tenants.Select(t => new TenantApis(t, new GraphApi(t, time), new LogAnalyticsApi(t, time), new ProvisioningLogsApi(t, time))).ToList();
    }

    private int inFlight;

    public FaultInjector Faults { get; } = new();

    /// <summary>Requests being answered right now (a test's clock driver waits for zero before moving time).</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>When set, a request must carry one of these bearer tokens, or it gets Graph's 401 (tokens can be revoked mid-run).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, bool>? AcceptedBearerTokens { get; set; }

    /// <summary>Every Authorization header value the simulator has seen (tests check where tokens went), when it records requests.</summary>
    public System.Collections.Concurrent.ConcurrentBag<string> AuthorizationHeaders { get; } = [];
    public RequestLog Requests { get; }
    /// <summary>The first tenant's address (its Graph is at {BaseAddress}v1.0).</summary>
    public Uri BaseAddress => endpoints.Values.First();
    public IReadOnlyCollection<SimulatedTenant> Tenants => tenants.Select(v => v.Tenant).ToList();

    /// <summary>The Graph base URL (…/v1.0) of one simulated tenant, as the exporter's GraphEndpoint.</summary>
    public Uri GraphEndpoint(string tenantId) => new(endpoints[tenantId], "v1.0");

    /// <summary>The Log Analytics query endpoint of one simulated tenant (its workspace is the tenant's WorkspaceId).</summary>
    public Uri LogAnalyticsEndpoint(string tenantId) => endpoints[tenantId];

    /// <summary>The Log Analytics API of one tenant, e.g. to register canned answers for custom queries.</summary>
    public LogAnalyticsApi LogAnalytics(string tenantId) => tenants.Single(t => t.Tenant.TenantId.Equals(tenantId, StringComparison.OrdinalIgnoreCase)).LogAnalytics;

    /// <summary>
    /// Starts on loopback: tenant i on <paramref name="firstPort"/> + i, or on ephemeral ports when it is 0. Without
    /// <paramref name="recordRequests"/> (the demo) no request or Authorization header is kept.
    /// </summary>
    public static async Task<SimulatorServer> StartAsync(IEnumerable<SimulatedTenant> tenants, TimeProvider time, int firstPort = 0,
        bool recordRequests = true, CancellationToken cancellationToken = default)
    {
        var list = tenants.ToList();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            for (var i = 0; i < list.Count; i++) k.Listen(System.Net.IPAddress.Loopback, firstPort == 0 ? 0 : firstPort + i);
        });
        builder.Logging.ClearProviders();
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var server = new SimulatorServer(app, list, time, recordRequests);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        // Kestrel binds its endpoints in the order they were declared, and lists them in that order.
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        for (var i = 0; i < list.Count; i++)
        {
            server.byPort[addresses[i].Port] = server.tenants[i];
            server.endpoints[list[i].TenantId] = new Uri($"http://127.0.0.1:{addresses[i].Port}/");
        }
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref inFlight);
        try
        {
            await HandleCoreAsync(context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        var arrived = time.GetUtcNow();
        var path = context.Request.Path.Value ?? "/";
        if (path.StartsWith("/_sim/faults", StringComparison.Ordinal))
        {
            await HandleControlAsync(context).ConfigureAwait(false);
            return;
        }
        var parts = path.Trim('/').Split('/', 2);
        if (!byPort.TryGetValue(context.Connection.LocalPort, out var entry) || parts[0] is not ("v1.0" or "v1"))
        {
            await WriteAsync(context, GraphResponse.Error(404, "NotFound", "Unknown API version (the simulator serves /v1.0).")).ConfigureAwait(false);
            return;
        }
        var tenantId = entry.Tenant.TenantId;
        var rest = "/" + (parts.Length > 1 ? parts[1] : "");
        var pathAndQuery = rest + context.Request.QueryString.Value;
        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}/{parts[0]}";

        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.Length > 0 && Requests.Records) AuthorizationHeaders.Add(authorization);
        if (AcceptedBearerTokens is { } accepted && !(authorization.StartsWith("Bearer ", StringComparison.Ordinal) && accepted.ContainsKey(authorization[7..])))
        {
            var denied = GraphResponse.Error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.");
            Requests.Add(new RecordedRequest(arrived, tenantId, context.Request.Method, pathAndQuery, InBatch: false, 401));
            await WriteAsync(context, denied).ConfigureAwait(false);
            return;
        }

        GraphResponse response;
        var fault = Faults.Next(pathAndQuery, inBatch: false, tenantId);
        if (fault is { Kind: FaultKind.Delay })
        {
            try { await Task.Delay(fault.Delay, context.RequestAborted).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            fault = null;
        }
        switch (fault?.Kind)
        {
            case FaultKind.Throttle:
                response = GraphResponse.Error(429, "TooManyRequests", "Too many requests.", new Dictionary<string, string>
                {
                    ["Retry-After"] = FaultResponses.RetryAfterOf(fault),
                    ["x-ms-throttle-scope"] = $"Tenant_Application/Read/{entry.Tenant.ApplicationId}/{tenantId}",
                    ["x-ms-throttle-information"] = "ResourceUnitLimitExceeded",
                });
                break;
            case FaultKind.Status:
                response = GraphResponse.Error(fault.StatusCode, string.IsNullOrEmpty(fault.ErrorCode) ? "ServiceUnavailable" : fault.ErrorCode, fault.ErrorMessage,
                    fault.StatusWithRetryAfter ? new Dictionary<string, string> { ["Retry-After"] = fault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null);
                break;
            case FaultKind.TruncatedJson:
                var full = await AnswerAsync(context, entry, parts[0], rest, baseUrl, partial: false).ConfigureAwait(false);
                response = full with { Body = full.Body[..(full.Body.Length / 2)] };
                break;
            case FaultKind.NotJson:
                response = new GraphResponse(200, "<html><body>Service temporarily unavailable</body></html>", GraphResponse.Empty);
                break;
            case FaultKind.Body:
                response = new GraphResponse(fault.BodyStatus, fault.Body, GraphResponse.Empty);
                break;
            case FaultKind.LoopingNextLink:
                var page = await AnswerAsync(context, entry, parts[0], rest, baseUrl, partial: false).ConfigureAwait(false);
                var node = System.Text.Json.Nodes.JsonNode.Parse(page.Body)!.AsObject();
                node["@odata.nextLink"] = $"{baseUrl}{rest}{context.Request.QueryString.Value}";
                response = page with { Body = node.ToJsonString() };
                break;
            case FaultKind.NextLink:
                var listed = fault.Body == "{}" ? await AnswerAsync(context, entry, parts[0], rest, baseUrl, partial: false).ConfigureAwait(false) : new GraphResponse(200, fault.Body, GraphResponse.Empty);
                response = listed with { Body = FaultResponses.WithNextLink(listed.Body, baseUrl + fault.NextLink) };
                break;
            case FaultKind.EndlessNextLink:
                var first = pathAndQuery.Contains(FaultResponses.EndlessToken, StringComparison.Ordinal)
                    ? GraphResponse.Json("{}") // a page past the first: empty, whatever the API would say of the token
                    : await AnswerAsync(context, entry, parts[0], rest, baseUrl, partial: false).ConfigureAwait(false);
                response = first with { Body = FaultResponses.Endless(first.Body, baseUrl, pathAndQuery) };
                break;
            default:
                response = await AnswerAsync(context, entry, parts[0], rest, baseUrl, partial: fault?.Kind == FaultKind.PartialError).ConfigureAwait(false);
                break;
        }
        Requests.Add(new RecordedRequest(arrived, tenantId, context.Request.Method, pathAndQuery, InBatch: false, response.Status));
        await WriteAsync(context, parts[0] == "v1.0" ? WithThrottleHeaders(response, entry.Tenant) : response).ConfigureAwait(false);
    }

    /// <summary>Graph's identity-and-access throttling headers: the units a response cost, and how near the app is to its limit.</summary>
    private static GraphResponse WithThrottleHeaders(GraphResponse response, SimulatedTenant tenant)
    {
        var headers = new Dictionary<string, string>(response.Headers, StringComparer.OrdinalIgnoreCase) { ["x-ms-resource-unit"] = "1" };
        if (tenant.ThrottleLimitPercentage is { } percentage) headers["x-ms-throttle-limit-percentage"] = percentage;
        return response with { Headers = headers };
    }

    private async Task<GraphResponse> AnswerAsync(HttpContext context, TenantApis entry, string version, string rest, string baseUrl, bool partial)
    {
        if (version == "v1")
        {
            // Log Analytics: POST /v1/workspaces/{workspaceId}/query
            var segments = rest.Trim('/').Split('/');
            if (!HttpMethods.IsPost(context.Request.Method) || segments.Length != 3 || segments[0] != "workspaces" || segments[2] != "query")
                return GraphResponse.Error(404, "PathNotFoundError", "The requested path does not exist.");
            var body = await ReadBodyAsync(context).ConfigureAwait(false);
            return entry.LogAnalytics.Query(segments[1], body, partial);
        }
        if (HttpMethods.IsPost(context.Request.Method) && rest.Equals("/$batch", StringComparison.OrdinalIgnoreCase))
            return BatchHandler.Handle(entry.Tenant.TenantId, baseUrl, await ReadBodyAsync(context).ConfigureAwait(false), entry.Api, Faults, Requests, time);
        if (!HttpMethods.IsGet(context.Request.Method))
            return GraphResponse.Error(405, "MethodNotAllowed", "The simulator only serves reads.");
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        if (rest.Equals("/auditLogs/provisioning", StringComparison.OrdinalIgnoreCase))
            return entry.ProvisioningLogs.List(baseUrl, query);
        return entry.Api.Get(baseUrl, rest, query);
    }

    private static async Task<string> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private async Task HandleControlAsync(HttpContext context)
    {
        if (HttpMethods.IsDelete(context.Request.Method))
        {
            Faults.Clear();
            context.Response.StatusCode = 204;
            return;
        }
        if (HttpMethods.IsPost(context.Request.Method))
        {
            var rule = await JsonSerializer.DeserializeAsync(context.Request.Body, FaultRuleJsonContext.Default.FaultRule, context.RequestAborted).ConfigureAwait(false);
            if (rule is null) { context.Response.StatusCode = 400; return; }
            Faults.Add(rule);
            context.Response.StatusCode = 204;
            return;
        }
        context.Response.StatusCode = 405;
    }

    private static async Task WriteAsync(HttpContext context, GraphResponse response)
    {
        context.Response.StatusCode = response.Status;
        context.Response.ContentType = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";
        foreach (var (k, v) in response.Headers) context.Response.Headers[k] = v;
        await context.Response.Body.WriteAsync(WireBytes(response.Body), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The body's UTF-8, except that each U+FFFF (a fault's stand-in, never in real data) is sent as the byte 0xFF.</summary>
    private static byte[] WireBytes(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        if (!body.Contains('\uffff', StringComparison.Ordinal)) return bytes;
        var output = new List<byte>(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i + 2 < bytes.Length && bytes[i] == 0xEF && bytes[i + 1] == 0xBF && bytes[i + 2] == 0xBF)
            {
                output.Add(0xFF);
                i += 2;
            }
            else output.Add(bytes[i]);
        }
        return [.. output];
    }

    internal static (string Path, IReadOnlyDictionary<string, string> Query) SplitUrl(string url)
    {
        var q = url.IndexOf('?', StringComparison.Ordinal);
        if (q < 0) return (url, new Dictionary<string, string>());
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in url[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            query[key] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
        }
        return (url[..q], query);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }
}
