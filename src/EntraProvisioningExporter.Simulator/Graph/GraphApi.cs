using System.Buffers;
using System.Text;
using System.Text.Json;
using EntraProvisioningExporter.Simulator.Scenario;

namespace EntraProvisioningExporter.Simulator.Graph;

/// <summary>A Graph response before it is written to the wire (top level) or into a $batch response.</summary>
public sealed record GraphResponse(int Status, string Body, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>
    /// Sent as it is, without Graph's throttling headers: a refusal made before Graph meters the request (a rig's
    /// refused token).
    /// </summary>
    public bool Unmetered { get; init; }

    public static GraphResponse Json(string body) => new(200, body, Empty);
    public static GraphResponse Error(int status, string code, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, Write(w => GraphJsonWriter.WriteError(w, code, message)), headers ?? Empty);

    public static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    public static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>
/// The Graph v1.0 endpoints the exporter reads, answered from the scenario at the current scenario time:
/// service principals (with $select, $top and $skiptoken paging), a service principal, its synchronization
/// jobs, one job. Used for top-level requests and for each request inside a $batch.
/// </summary>
public sealed class GraphApi(SimulatedTenant tenant, TimeProvider time)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 999;

    public GraphResponse Get(string baseUrl, string path, IReadOnlyDictionary<string, string> query)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || !segments[0].Equals("servicePrincipals", StringComparison.OrdinalIgnoreCase))
            return GraphResponse.Error(400, "BadRequest", $"Resource not found for the segment '{segments.FirstOrDefault()}'.");
        if (segments.Length == 1) return ListServicePrincipals(baseUrl, query);

        var sp = tenant.Find(segments[1]);
        if (sp is null)
            return GraphResponse.Error(404, "Request_ResourceNotFound",
                $"Resource '{segments[1]}' does not exist or one of its queried reference-property objects are not present.");
        if (segments.Length == 2) return GraphResponse.Json(GraphResponse.Write(w => WriteServicePrincipal(w, sp, Select(query),
            withContext: true)));
        if (segments.Length >= 4 && segments[2].Equals("synchronization", StringComparison.OrdinalIgnoreCase)
            && segments[3].Equals("jobs", StringComparison.OrdinalIgnoreCase))
        {
            var now = time.GetUtcNow();
            var elapsed = now - tenant.ScenarioStart;
            if (segments.Length == 4)
            {
                return GraphResponse.Json(GraphResponse.Write(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("@odata.context",
                        $"https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('{sp.Id}')/synchronization/jobs");
                    w.WriteStartArray("value");
                    foreach (var job in sp.Jobs) GraphJsonWriter.WriteJob(w, job, job.Script(now, elapsed));
                    w.WriteEndArray();
                    w.WriteEndObject();
                }));
            }
            var one = sp.Jobs.FirstOrDefault(j => j.Id.Equals(segments[4], StringComparison.OrdinalIgnoreCase));
            return one is null
                ? GraphResponse.Error(404, "NotFound", "The synchronization job was not found.")
                : GraphResponse.Json(GraphResponse.Write(w => GraphJsonWriter.WriteJob(w, one, one.Script(now, elapsed))));
        }
        return GraphResponse.Error(400, "BadRequest", "Unsupported segment.");
    }

    private static HashSet<string>? Select(IReadOnlyDictionary<string, string> query) =>
        query.TryGetValue("$select", out var s) ? s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.OrdinalIgnoreCase) : null;

    private GraphResponse ListServicePrincipals(string baseUrl, IReadOnlyDictionary<string, string> query)
    {
        var top = query.TryGetValue("$top", out var t) && int.TryParse(t, out var n) ? Math.Clamp(n, 1, MaxPageSize) : DefaultPageSize;
        var skip = query.TryGetValue("$skiptoken", out var token) ? DecodeSkipToken(token) : 0;
        if (skip < 0) return GraphResponse.Error(400, "Directory_ExpiredPageToken",
            "The specified page token value has expired and can no longer be included in your request.");
        var select = Select(query);
        var page = tenant.ServicePrincipals.Skip(skip).Take(top).ToList();
        var next = skip + page.Count < tenant.ServicePrincipals.Count ? skip + page.Count : (int?)null;
        return GraphResponse.Json(GraphResponse.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("@odata.context", "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals");
            if (next is { } nx)
            {
                var selectPart = query.TryGetValue("$select", out var sel) ? $"$select={Uri.EscapeDataString(sel)}&" : "";
                w.WriteString("@odata.nextLink", $"{baseUrl}/servicePrincipals?{selectPart}$top={top}&$skiptoken={EncodeSkipToken(nx)}");
            }
            w.WriteStartArray("value");
            foreach (var sp in page) WriteServicePrincipal(w, sp, select, withContext: false);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private static void WriteServicePrincipal(Utf8JsonWriter w, SimulatedServicePrincipal sp, HashSet<string>? select, bool withContext)
    {
        bool Want(string f) => select is null || select.Contains(f);
        w.WriteStartObject();
        if (withContext) w.WriteString("@odata.context", "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity");
        w.WriteString("id", sp.Id);
        if (Want("appId")) w.WriteString("appId", sp.AppId);
        if (Want("displayName")) w.WriteString("displayName", sp.DisplayName);
        if (Want("servicePrincipalType")) w.WriteString("servicePrincipalType", "Application");
        if (Want("accountEnabled")) w.WriteBoolean("accountEnabled", true);
        w.WriteEndObject();
    }

    public static string EncodeSkipToken(int offset) => "RFNwdAIAAQAAAD" + Convert.ToBase64String(BitConverter.GetBytes(offset))
        .TrimEnd('=');

    public static int DecodeSkipToken(string token)
    {
        const string prefix = "RFNwdAIAAQAAAD";
        if (!token.StartsWith(prefix, StringComparison.Ordinal)) return -1;
        try
        {
            var b64 = token[prefix.Length..];
            b64 += new string('=', (4 - b64.Length % 4) % 4);
            return BitConverter.ToInt32(Convert.FromBase64String(b64));
        }
        catch (FormatException)
        {
            return -1;
        }
    }
}
