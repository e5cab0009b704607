using System.Text.Json;
using EntraProvisioningExporter.Simulator.Scenario;

namespace EntraProvisioningExporter.Simulator.Graph;

/// <summary>
/// JSON batching (POST /$batch): at most 20 requests, each answered independently with its own status,
/// headers and body, so one inner request can be throttled (429 + Retry-After) while the others succeed,
/// exactly the case the Graph SDKs do not retry for you.
/// </summary>
public static class BatchHandler
{
    public const int MaxRequests = 20;

    public static async Task<GraphResponse> HandleAsync(SimulatedTenant tenant, string baseUrl, string body, GraphApi api,
        ISimulatorInterceptor? interceptor, TimeProvider time, CancellationToken cancellationToken)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return GraphResponse.Error(400, "BadRequest", "Invalid batch payload.");
        }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Array)
                return GraphResponse.Error(400, "BadRequest", "Invalid batch payload: 'requests' is required.");
            if (requests.GetArrayLength() > MaxRequests)
                return GraphResponse.Error(400, "BadRequest",
                    $"The number of batch requests in the payload exceeds the limit of {MaxRequests}.");

            var answers = new List<(string Id, GraphResponse Response, bool Raw)>();
            foreach (var request in requests.EnumerateArray())
            {
                var id = request.GetProperty("id").GetString() ?? "";
                var method = request.TryGetProperty("method", out var m) ? m.GetString() ?? "GET" : "GET";
                var url = request.TryGetProperty("url", out var u) ? u.GetString() ?? "/" : "/";
                if (!url.StartsWith('/')) url = "/" + url;
                var inner = new SimulatedRequest(time.GetUtcNow(), tenant, method, url, InBatch: true, Authorization: "", baseUrl);
                var answer = Get(method, url, baseUrl, api);
                if (interceptor is null)
                {
                    answers.Add((id, answer, false));
                    continue;
                }
                // A rig's answer goes in as it is when it is JSON however deep it nests (a fault's odd body), else as a string.
                var instead = await interceptor.InterceptAsync(inner, _ => Task.FromResult(answer), cancellationToken)
                    .ConfigureAwait(false);
                answers.Add((id, instead ?? answer, instead is not null && IsJson(instead.Body, int.MaxValue)));
                interceptor.Answered(inner, (instead ?? answer).Status);
            }

            return GraphResponse.Json(GraphResponse.Write(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("responses");
                foreach (var (id, response, raw) in answers)
                {
                    w.WriteStartObject();
                    w.WriteString("id", id);
                    w.WriteNumber("status", response.Status);
                    w.WriteStartObject("headers");
                    w.WriteString("Content-Type",
                        "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8");
                    foreach (var (k, v) in response.Headers) w.WriteString(k, v);
                    w.WriteEndObject();
                    w.WritePropertyName("body");
                    if (raw || IsJson(response.Body)) w.WriteRawValue(response.Body, skipInputValidation: true);
                    else w.WriteStringValue(response.Body);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }));
        }
    }

    private static GraphResponse Get(string method, string url, string baseUrl, GraphApi api)
    {
        if (!method.Equals("GET", StringComparison.OrdinalIgnoreCase))
            return GraphResponse.Error(405, "MethodNotAllowed", "The simulator only serves reads.");
        var (path, query) = SimulatorServer.SplitUrl(url);
        return api.Get(baseUrl, path, query);
    }

    private static bool IsJson(string body, int maxDepth = 0)
    {
        try
        {
            using var _ = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = maxDepth });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
