using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
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
/// A test rig (<see cref="ISimulatorInterceptor"/>) can fault or record requests; the demo has none.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private sealed record TenantApis(SimulatedTenant Tenant, GraphApi Api, LogAnalyticsApi LogAnalytics,
        ProvisioningLogsApi ProvisioningLogs);

    private readonly List<TenantApis> tenants;
    private readonly Dictionary<int, TenantApis> byPort = [];
    private readonly Dictionary<string, Uri> endpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider time;

    private SimulatorServer(WebApplication app, IEnumerable<SimulatedTenant> tenants, TimeProvider time, ISimulatorInterceptor? interceptor)
    {
        this.app = app;
        this.time = time;
        Interceptor = interceptor;
        this.tenants = tenants.Select(t => new TenantApis(t, new GraphApi(t, time), new LogAnalyticsApi(t, time),
            new ProvisioningLogsApi(t, time))).ToList();
    }

    private int inFlight;

    /// <summary>The test rig that sees each request first (null in the demo).</summary>
    public ISimulatorInterceptor? Interceptor { get; }

    /// <summary>Requests being answered right now (a test's clock driver waits for zero before moving time).</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>The first tenant's address (its Graph is at {BaseAddress}v1.0).</summary>
    public Uri BaseAddress => endpoints.Values.First();
    public IReadOnlyCollection<SimulatedTenant> Tenants => tenants.Select(v => v.Tenant).ToList();

    /// <summary>The Graph base URL (…/v1.0) of one simulated tenant, as the exporter's GraphEndpoint.</summary>
    public Uri GraphEndpoint(string tenantId) => new(endpoints[tenantId], "v1.0");

    /// <summary>The Log Analytics query endpoint of one simulated tenant (its workspace is the tenant's WorkspaceId).</summary>
    public Uri LogAnalyticsEndpoint(string tenantId) => endpoints[tenantId];

    /// <summary>The Log Analytics API of one tenant, e.g. to register canned answers for custom queries.</summary>
    public LogAnalyticsApi LogAnalytics(string tenantId)
        => tenants.Single(t => t.Tenant.TenantId.Equals(tenantId, StringComparison.OrdinalIgnoreCase)).LogAnalytics;

    /// <summary>
    /// Starts on loopback: tenant i on <paramref name="firstPort"/> + i, or on ephemeral ports when it is 0, with a
    /// test rig's <paramref name="interceptor"/> or none (the demo: nothing of a request is kept once it is answered).
    /// </summary>
    public static async Task<SimulatorServer> StartAsync(IEnumerable<SimulatedTenant> tenants, TimeProvider time, int firstPort = 0,
        ISimulatorInterceptor? interceptor = null, CancellationToken cancellationToken = default)
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
        var server = new SimulatorServer(app, list, time, interceptor);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        // Kestrel binds its endpoints in the order they were declared, and lists them in that order.
        var addresses = app.Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
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
        var parts = path.Trim('/').Split('/', 2);
        if (!byPort.TryGetValue(context.Connection.LocalPort, out var entry) || parts[0] is not ("v1.0" or "v1"))
        {
            await WriteAsync(context, GraphResponse.Error(404, "NotFound", "Unknown API version (the simulator serves /v1.0)."))
                .ConfigureAwait(false);
            return;
        }
        var rest = "/" + (parts.Length > 1 ? parts[1] : "");
        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}/{parts[0]}";
        var request = new SimulatedRequest(arrived, entry.Tenant, context.Request.Method, rest + context.Request.QueryString.Value,
            InBatch: false,
            context.Request.Headers.Authorization.ToString(), baseUrl);

        Task<GraphResponse> Answer(bool partial) => AnswerAsync(context, entry, parts[0], rest, baseUrl, partial);
        GraphResponse response;
        if (Interceptor is null) response = await Answer(false).ConfigureAwait(false);
        else
        {
            try
            {
                response = await Interceptor.InterceptAsync(request, Answer, context.RequestAborted).ConfigureAwait(false)
                    ?? await Answer(false).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return; // the client gave up while a rig held the request
            }
            Interceptor.Answered(request, response.Status);
        }
        await WriteAsync(context, parts[0] == "v1.0" && !response.Unmetered ? WithThrottleHeaders(response, entry.Tenant) : response)
            .ConfigureAwait(false);
    }

    /// <summary>Graph's identity-and-access throttling headers: the units a response cost, and how near the app is to its limit.</summary>
    private static GraphResponse WithThrottleHeaders(GraphResponse response, SimulatedTenant tenant)
    {
        var headers = new Dictionary<string, string>(response.Headers, StringComparer.OrdinalIgnoreCase) { ["x-ms-resource-unit"] = "1" };
        if (tenant.ThrottleLimitPercentage is { } percentage) headers["x-ms-throttle-limit-percentage"] = percentage;
        return response with { Headers = headers };
    }

    private async Task<GraphResponse> AnswerAsync(HttpContext context, TenantApis entry, string version, string rest, string baseUrl,
        bool partial)
    {
        if (version == "v1")
        {
            // Log Analytics: POST /v1/workspaces/{workspaceId}/query
            var segments = rest.Trim('/').Split('/');
            if (!HttpMethods.IsPost(context.Request.Method) || segments.Length != 3 || segments[0] != "workspaces"
                || segments[2] != "query")
                return GraphResponse.Error(404, "PathNotFoundError", "The requested path does not exist.");
            var body = await ReadBodyAsync(context).ConfigureAwait(false);
            return entry.LogAnalytics.Query(segments[1], body, partial);
        }
        if (HttpMethods.IsPost(context.Request.Method) && rest.Equals("/$batch", StringComparison.OrdinalIgnoreCase))
            return await BatchHandler.HandleAsync(entry.Tenant, baseUrl, await ReadBodyAsync(context).ConfigureAwait(false), entry.Api,
                Interceptor, time,
                context.RequestAborted).ConfigureAwait(false);
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

    private static async Task WriteAsync(HttpContext context, GraphResponse response)
    {
        context.Response.StatusCode = response.Status;
        context.Response.ContentType = "application/json; odata.metadata=minimal; odata.streaming=true; "
            + "IEEE754Compatible=false; charset=utf-8";
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
