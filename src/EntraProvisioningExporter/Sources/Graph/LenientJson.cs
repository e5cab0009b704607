using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// Makes valid-but-unreadable JSON readable before System.Text.Json (directly or under Kiota) sees it, so one odd
/// string costs at most that string's characters, never its object or the cycle:
/// - bytes that are not UTF-8 become U+FFFD (System.Text.Json refuses invalid UTF-8);
/// - a "\uD800"-style escape of a lone surrogate becomes "\uFFFD" (GetString() throws on it: valid JSON, invalid UTF-16);
/// - in a $batch response, an inner response nested deeper than <see cref="MaxDepth"/> is replaced by a marker, so the
///   SDK's batch reader (depth-limited) can read the other 19; the runner reports that one as unreadable.
/// Bodies that need none of this are returned as they are.
/// </summary>
public static class LenientJson
{
    /// <summary>System.Text.Json's default depth limit, which the SDK's readers use.</summary>
    public const int MaxDepth = 64;

    /// <summary>The header an inner $batch response carries when its body was replaced because it could not be read.</summary>
    public const string UnreadableHeader = "X-Exporter-Unreadable";

    public static byte[] Repair(byte[] body, bool isBatch)
    {
        if (!Utf8.IsValid(body)) body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body)); // the decoder's fallback writes U+FFFD
        body = ReplaceLoneSurrogateEscapes(body);
        return isBatch && DepthOf(body) > MaxDepth ? ReplaceDeepBatchResponses(body) : body;
    }

    /// <summary>"\uD83D\uDE00" stays; a high surrogate not followed by a low one, or a low one alone, becomes "\uFFFD".</summary>
    public static byte[] ReplaceLoneSurrogateEscapes(byte[] body)
    {
        if (body.AsSpan().IndexOf("\\u"u8) < 0) return body;
        byte[]? output = null;
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] != (byte)'\\' || i + 1 >= body.Length) continue;
            if (body[i + 1] != (byte)'u')
            {
                i++; // an escaped character, perhaps a backslash: never the start of an escape
                continue;
            }
            if (Escape(body, i) is not { } unit || !char.IsSurrogate(unit))
            {
                i += 5;
                continue;
            }
            if (char.IsHighSurrogate(unit) && Escape(body, i + 6) is { } low && char.IsLowSurrogate(low))
            {
                i += 11;
                continue;
            }
            output ??= (byte[])body.Clone();
            "\\ufffd"u8.CopyTo(output.AsSpan(i));
            i += 5;
        }
        return output ?? body;
    }

    private static char? Escape(byte[] body, int at)
    {
        if (at + 6 > body.Length || body[at] != (byte)'\\' || body[at + 1] != (byte)'u') return null;
        var value = 0;
        for (var k = at + 2; k < at + 6; k++)
        {
            var digit = HexDigit(body[k]);
            if (digit < 0) return null;
            value = value * 16 + digit;
        }
        return (char)value;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>The deepest nesting of a JSON text, or 0 if it is not JSON (it is then left for the reader to refuse).</summary>
    public static int DepthOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json,
            new JsonReaderOptions { MaxDepth = int.MaxValue, CommentHandling = JsonCommentHandling.Skip });
        var max = 0;
        try
        {
            while (reader.Read())
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) max = Math.Max(max, reader.CurrentDepth + 1);
        }
        catch (JsonException)
        {
            return 0;
        }
        return max;
    }

    /// <summary>Rewrites a $batch response: each inner response too deep for the SDK keeps its id but becomes a marked empty 200.</summary>
    private static byte[] ReplaceDeepBatchResponses(byte[] body)
    {
        using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = int.MaxValue });
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("responses", out var responses)
            || responses.ValueKind != JsonValueKind.Array)
            return body;
        var buffer = new ArrayBufferWriter<byte>(body.Length);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            w.WriteStartObject();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name != "responses")
                {
                    if (DepthOf(Encoding.UTF8.GetBytes(property.Value.GetRawText())) + 1 <= MaxDepth) property.WriteTo(w);
                    continue;
                }
                w.WriteStartArray("responses");
                foreach (var response in responses.EnumerateArray())
                {
                    var raw = Encoding.UTF8.GetBytes(response.GetRawText());
                    if (DepthOf(raw) + 2 <= MaxDepth)
                    {
                        w.WriteRawValue(raw, skipInputValidation: true);
                        continue;
                    }
                    w.WriteStartObject();
                    if (response.ValueKind == JsonValueKind.Object && response.TryGetProperty("id", out var id)
                        && id.ValueKind == JsonValueKind.String) w.WriteString("id", id.GetString());
                    w.WriteNumber("status", 200);
                    w.WriteStartObject("headers");
                    w.WriteString("Content-Type", "application/json");
                    w.WriteString(UnreadableHeader, $"nested deeper than {MaxDepth}");
                    w.WriteEndObject();
                    w.WriteStartObject("body");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>Applies <see cref="LenientJson"/> to every JSON response of a Graph or Log Analytics client.</summary>
public sealed class LenientJsonHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Content is not { } content
            || content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
            return response;
        var body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var isBatch = request.RequestUri?.AbsolutePath.EndsWith("/$batch", StringComparison.Ordinal) == true;
        var repaired = LenientJson.Repair(body, isBatch);
        if (ReferenceEquals(repaired, body)) return response;
        var replacement = new ByteArrayContent(repaired);
        foreach (var header in content.Headers)
            if (!header.Key.Equals("Content-Length",
                StringComparison.OrdinalIgnoreCase)) replacement.Headers.TryAddWithoutValidation(header.Key, header.Value);
        // Repaired text is UTF-8 whatever the header said.
        if (replacement.Headers.ContentType is { } type) type.CharSet = "utf-8";
        response.Content = replacement;
        content.Dispose();
        return response;
    }
}
