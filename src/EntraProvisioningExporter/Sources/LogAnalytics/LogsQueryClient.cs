using System.Buffers;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Sources.LogAnalytics;

public sealed class LogsQueryClientOptions : ClientOptions
{
    /// <summary>The token scope, e.g. https://api.loganalytics.io/.default.</summary>
    public string Scope { get; set; } = "https://api.loganalytics.io/.default";

    public LogsQueryClientOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 3;
        Retry.Delay = TimeSpan.FromSeconds(1);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
        Diagnostics.IsLoggingEnabled = false; // no request/response logging: headers could carry tokens
        Diagnostics.IsDistributedTracingEnabled = false;
    }
}

/// <summary>
/// A small Log Analytics query client on Azure.Core's HttpPipeline (Azure.Monitor.Query.Logs is absent from
/// this registry; this mirrors its LogsQueryClient.QueryWorkspaceAsync so the package can replace it):
/// bearer token for the Log Analytics audience, retries honouring Retry-After (429, 503), per-try timeouts,
/// Prefer: wait=N for the server timeout, Cache-Control: no-cache (the service caches identical queries for
/// minutes). A PartialError (HTTP 200 with an "error") is reported as <see cref="LogsQueryResultStatus.PartialFailure"/>
/// and, unless allowed, thrown.
/// </summary>
public sealed class LogsQueryClient
{
    private readonly Uri endpoint;
    private readonly HttpPipeline pipeline;

    public LogsQueryClient(Uri endpoint, TokenCredential? credential, LogsQueryClientOptions options, Func<Uri,
        bool>? mayReceiveToken = null)
    {
        this.endpoint = endpoint;
        HttpPipelinePolicy[] perRetry = credential is null
            ? []
            : [new BearerTokenAuthenticationPolicy(credential, options.Scope),
                new TokenDestinationGuardPolicy(mayReceiveToken ?? LogAnalyticsCloud.MayReceiveToken)];
        pipeline = HttpPipelineBuilder.Build(options, perCallPolicies: [], perRetryPolicies: perRetry, new ResponseClassifier());
    }

    public async Task<LogsQueryResult> QueryWorkspaceAsync(string workspaceId, string query, QueryTimeRange timeRange,
        LogsQueryOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LogsQueryOptions();
        var serverTimeout = options.ServerTimeout ?? TimeSpan.FromMinutes(3);
        using var message = pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(new Uri(endpoint, $"v1/workspaces/{Uri.EscapeDataString(workspaceId)}/query"));
        request.Headers.Add("Content-Type", "application/json");
        request.Headers.Add("Accept", "application/json");
        request.Headers.Add("Cache-Control", "no-cache");
        request.Headers.Add("Prefer", $"wait={(int)Math.Ceiling(serverTimeout.TotalSeconds)}");
        request.Content = RequestContent.Create(RequestBody(query, timeRange));
        // The network must wait a little longer than the server may take.
        message.NetworkTimeout = serverTimeout + TimeSpan.FromSeconds(5);

        await pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.IsError) throw new RequestFailedException(response);
        var result = Parse(response.Content.ToMemory());
        if (result.Status == LogsQueryResultStatus.PartialFailure && !options.AllowPartialErrors)
            throw new LogsQueryPartialFailureException(result.Error!);
        return result;
    }

    /// <summary>The query request's JSON body, written directly: no reflection, so it also runs under native AOT.</summary>
    private static byte[] RequestBody(string query, QueryTimeRange timeRange)
    {
        var buffer = new ArrayBufferWriter<byte>(query.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("query", query);
            writer.WriteString("timespan", timeRange.ToIsoString());
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a query response body: tables, columns, rows, and an optional top-level error.</summary>
    public static LogsQueryResult Parse(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("tables", out var tables)
            || tables.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException("The query response has no 'tables' array.");
        var parsed = new List<LogsTable>();
        foreach (var t in tables.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Object) throw new InvalidDataException("A table is not a JSON object.");
            var name = Text(t, "name");
            if (!t.TryGetProperty("columns", out var cols) || cols.ValueKind != JsonValueKind.Array
                || !t.TryGetProperty("rows", out var rows) || rows.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"Table '{name}' has no columns or rows.");
            var columns = cols.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.Object
                ? new LogsTableColumn(Text(c, "name"), Text(c, "type"))
                : throw new InvalidDataException($"A column of table '{name}' is not a JSON object.")).ToList();
            var rowList = new List<LogsTableRow>(rows.GetArrayLength());
            foreach (var r in rows.EnumerateArray())
            {
                if (r.ValueKind != JsonValueKind.Array || r.GetArrayLength() != columns.Count)
                    throw new InvalidDataException($"A row of table '{name}' does not have {columns.Count} cells.");
                rowList.Add(new LogsTableRow(null, r.EnumerateArray().Select(c => c.Clone()).ToArray()));
            }
            var table = new LogsTable(name, columns, rowList);
            foreach (var row in rowList) row.Table = table;
            parsed.Add(table);
        }
        LogsQueryError? error = null;
        if (root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
            error = new LogsQueryError(Text(e, "code"), Text(e, "message"));
        return new LogsQueryResult(error is null ? LogsQueryResultStatus.Success : LogsQueryResultStatus.PartialFailure, error, parsed);
    }

    /// <summary>A string property, "" when absent; any other type is invalid data (never an InvalidOperationException).</summary>
    private static string Text(JsonElement element, string property) =>
        !element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null ? ""
        : value.ValueKind == JsonValueKind.String ? value.GetString() ?? ""
        : throw new InvalidDataException($"'{property}' is not a string.");

    /// <summary>A request carrying a token leaves only over HTTPS for a Log Analytics host.</summary>
    private sealed class TokenDestinationGuardPolicy(Func<Uri, bool> mayReceiveToken) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Headers.Contains("Authorization") && !mayReceiveToken(message.Request.Uri.ToUri()))
                throw new Graph.TokenDestinationRefusedException($"Refused to send a Log Analytics token to "
                    + $"{message.Request.Uri.Scheme}://{message.Request.Uri.Host}: tokens go only over HTTPS to Log Analytics hosts.");
        }
    }
}
