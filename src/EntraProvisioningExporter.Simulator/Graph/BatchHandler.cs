using System.Text.Json;
using EntraProvisioningExporter.Simulator.Faults;

namespace EntraProvisioningExporter.Simulator.Graph;

/// <summary>
/// JSON batching (POST /$batch): at most 20 requests, each answered independently with its own status,
/// headers and body, so one inner request can be throttled (429 + Retry-After) while the others succeed,
/// exactly the case the Graph SDKs do not retry for you.
/// </summary>
public static class BatchHandler
{
    public const int MaxRequests = 20;

    public static GraphResponse Handle(string tenantId, string baseUrl, string body, GraphApi api, FaultInjector faults, RequestLog log, TimeProvider time)
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
                return GraphResponse.Error(400, "BadRequest", $"The number of batch requests in the payload exceeds the limit of {MaxRequests}.");

            return GraphResponse.Json(GraphResponse.Write(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("responses");
                foreach (var request in requests.EnumerateArray())
                {
                    var id = request.GetProperty("id").GetString() ?? "";
                    var method = request.TryGetProperty("method", out var m) ? m.GetString() ?? "GET" : "GET";
                    var url = request.TryGetProperty("url", out var u) ? u.GetString() ?? "/" : "/";
                    if (!url.StartsWith('/')) url = "/" + url;
                    var (response, raw) = Answer(tenantId, method, url, baseUrl, api, faults);
                    log.Add(new RecordedRequest(time.GetUtcNow(), tenantId, method, url, InBatch: true, response.Status));
                    w.WriteStartObject();
                    w.WriteString("id", id);
                    w.WriteNumber("status", response.Status);
                    w.WriteStartObject("headers");
                    w.WriteString("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8");
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

    /// <summary>The answer to one inner request, and whether its body goes into the batch as it is (a fault's body, unchecked).</summary>
    private static (GraphResponse Response, bool Raw) Answer(string tenantId, string method, string url, string baseUrl, GraphApi api, FaultInjector faults)
    {
        if (faults.Next(url, inBatch: true, tenantId) is { } fault)
        {
            switch (fault.Kind)
            {
                case FaultKind.Throttle:
                    return (GraphResponse.Error(429, "TooManyRequests", "Too many requests.", new Dictionary<string, string> { ["Retry-After"] = FaultResponses.RetryAfterOf(fault) }), false);
                case FaultKind.Status:
                    return (GraphResponse.Error(fault.StatusCode, string.IsNullOrEmpty(fault.ErrorCode) ? "ServiceUnavailable" : fault.ErrorCode, fault.ErrorMessage), false);
                case FaultKind.Body:
                    return (new GraphResponse(fault.BodyStatus, fault.Body, GraphResponse.Empty), IsJson(fault.Body, int.MaxValue));
                case FaultKind.TruncatedJson:
                case FaultKind.NotJson:
                    // Inside a batch the body is embedded JSON, so a broken body is sent as a string the client cannot parse as the model.
                    return (new GraphResponse(200, "<html>not json</html>", GraphResponse.Empty), false);
                case FaultKind.NextLink:
                    var listed = fault.Body == "{}" ? Get(method, url, baseUrl, api) : new GraphResponse(200, fault.Body, GraphResponse.Empty);
                    return (listed with { Body = FaultResponses.WithNextLink(listed.Body, baseUrl + fault.NextLink) }, false);
                case FaultKind.EndlessNextLink:
                    var first = url.Contains(FaultResponses.EndlessToken, StringComparison.Ordinal) ? GraphResponse.Json("{}") : Get(method, url, baseUrl, api);
                    return (first with { Body = FaultResponses.Endless(first.Body, baseUrl, url) }, false);
            }
        }
        return (Get(method, url, baseUrl, api), false);
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
