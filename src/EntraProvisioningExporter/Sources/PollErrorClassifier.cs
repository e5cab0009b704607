using System.Text.Json;
using Azure.Identity;
using EntraProvisioningExporter.Sources.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace EntraProvisioningExporter.Sources;

/// <summary>The bounded set of failure reasons a source reports (label <c>reason</c>), and how exceptions map to them.</summary>
public static class PollErrorReason
{
    public const string Auth = "auth";
    public const string Forbidden = "forbidden";
    public const string Throttled = "throttled";
    public const string ServerError = "server_error";
    public const string Timeout = "timeout";
    public const string Network = "network";
    public const string BadResponse = "bad_response";
    public const string ClientError = "client_error";
    public const string Partial = "partial";
    public const string Internal = "internal";

    public static readonly IReadOnlyList<string> All = [Auth, Forbidden, Throttled, ServerError, Timeout, Network, BadResponse, ClientError,
        Partial, Internal];

    public static string FromStatus(int status) => status switch
    {
        401 => Auth,
        403 => Forbidden,
        429 => Throttled,
        >= 500 => ServerError,
        0 => BadResponse,
        _ => ClientError,
    };
}

public static class PollErrorClassifier
{
    /// <summary>The reason, and a one-line description safe to log (no tokens, no secrets: Graph error codes and messages only).</summary>
    public static (string Reason, string Detail) Classify(Exception ex) => ex switch
    {
        // Raised by RetriesExhaustedHandler from the SDK's RetryHandler giving up, with the last response's status.
        GraphRetriesExhaustedException r => (PollErrorReason.FromStatus((int)r.Status), r.Message),
        AggregateException a when a.Flatten().InnerExceptions.FirstOrDefault() is { } first => Classify(first),
        LogAnalytics.LogsQueryPartialFailureException p => (PollErrorReason.Partial, p.Message),
        Azure.RequestFailedException { Status: 0 } r => (PollErrorReason.Network, $"Network error: {FirstLine(r.Message)}"),
        Azure.RequestFailedException r => (PollErrorReason.FromStatus(r.Status), $"Log Analytics answered {r.Status} {r.ErrorCode}."),
        ODataError o => (PollErrorReason.FromStatus(o.ResponseStatusCode),
            $"Graph answered {o.ResponseStatusCode} {o.Error?.Code}: {o.Error?.Message}"),
        ApiException { ResponseStatusCode: 0 } a
            => (PollErrorReason.BadResponse, $"Graph's response could not be read: {FirstLine(a.Message)}"),
        // The SDK's ServiceException (e.g. a failed $batch) carries Graph's error body in its inner exception.
        ApiException a => (PollErrorReason.FromStatus(a.ResponseStatusCode),
            $"Graph answered {a.ResponseStatusCode}: {Bounded(a.InnerException?.Message ?? a.Message)}"),
        AuthenticationFailedException or CredentialUnavailableException
            => (PollErrorReason.Auth, $"Token acquisition failed: {FirstLine(ex.Message)}"),
        TokenDestinationRefusedException => (PollErrorReason.Auth, ex.Message),
        TimeoutException or TaskCanceledException or OperationCanceledException
            => (PollErrorReason.Timeout, "The request or cycle timed out."),
        HttpRequestException { StatusCode: { } code } => (PollErrorReason.FromStatus((int)code), $"HTTP {(int)code}."),
        HttpRequestException h => (PollErrorReason.Network, $"Network error: {FirstLine(h.Message)}"),
        JsonException or FormatException or InvalidDataException
            => (PollErrorReason.BadResponse, $"Unreadable response: {FirstLine(ex.Message)}"),
        _ => (PollErrorReason.Internal, $"{ex.GetType().Name}: {FirstLine(ex.Message)}"),
    };

    private static string Bounded(string message) => message.Length <= 400 ? message : message[..400] + "…";

    private static string FirstLine(string message)
    {
        var i = message.IndexOfAny(['\r', '\n']);
        return i < 0 ? message : message[..i];
    }
}
