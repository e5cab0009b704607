using System.Text.Json;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// One page of a Graph collection read as raw JSON rather than into the SDK's model, so that each object can be read
/// (and, when it cannot be, dropped) on its own. Errors still come back as the SDK's ODataError.
/// </summary>
internal static class GraphPage
{
    /// <summary>Kiota's error mapping for raw reads: any error status is parsed as Graph's ODataError.</summary>
    public static readonly Dictionary<string,
        ParsableFactory<IParsable>> ODataErrors = new() { ["XXX"] = ODataError.CreateFromDiscriminatorValue };

    /// <summary>
    /// The page's document (the caller disposes it) and its <c>value</c> array; <paramref name="what"/> names the collection in errors.
    /// </summary>
    public static async Task<(JsonDocument Document, JsonElement Value)> ReadAsync(IRequestAdapter adapter, RequestInformation request,
        string what,
        CancellationToken cancellationToken)
    {
        var stream = await adapter.SendPrimitiveAsync<Stream>(request, ODataErrors, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"Graph answered the {what} with an empty body.");
        JsonDocument document;
        await using (stream.ConfigureAwait(false))
            document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
            return (document, value);
        document.Dispose();
        throw new InvalidDataException($"Graph's {what} page has no 'value' array.");
    }
}
