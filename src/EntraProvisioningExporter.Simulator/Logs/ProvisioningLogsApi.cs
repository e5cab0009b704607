using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EntraProvisioningExporter.Simulator.Graph;
using EntraProvisioningExporter.Simulator.Scenario;

namespace EntraProvisioningExporter.Simulator.Logs;

/// <summary>
/// Graph's GET /auditLogs/provisioning (provisioningObjectSummary): newest first, <c>$filter</c> on
/// <c>activityDateTime</c> (gt, ge, lt, le, joined with "and"), <c>$top</c> (default 100, at most 1000) and
/// next-links. An event shows 1–3 minutes after it happened. A next-link pins the instant its first page was
/// computed at, so paging through a range is stable while new events arrive.
/// </summary>
public sealed partial class ProvisioningLogsApi(SimulatedTenant tenant, TimeProvider time)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    [GeneratedRegex(@"activityDateTime\s+(?<op>gt|ge|lt|le)\s+(?<value>[0-9T:\-\.Z+]+)", RegexOptions.IgnoreCase)]
    private static partial Regex Condition();

    public GraphResponse List(string baseUrl, IReadOnlyDictionary<string, string> query)
    {
        DateTimeOffset? gt = null, ge = null, lt = null, le = null;
        if (query.TryGetValue("$filter", out var filter))
        {
            var conditions = Condition().Matches(filter);
            var rest = Condition().Replace(filter, "").Replace(" and ", "", StringComparison.OrdinalIgnoreCase).Trim();
            if (conditions.Count == 0 || rest.Length > 0)
                return GraphResponse.Error(400, "BadRequest",
                    $"Invalid filter clause: the simulator supports activityDateTime gt/ge/lt/le conditions "
                        + $"joined with 'and'; got '{filter}'.");
            foreach (Match m in conditions)
            {
                if (!DateTimeOffset.TryParse(m.Groups["value"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal,
                    out var v))
                    return GraphResponse.Error(400, "BadRequest", $"Invalid datetime '{m.Groups["value"].Value}'.");
                switch (m.Groups["op"].Value.ToLowerInvariant())
                {
                    case "gt": gt = v; break;
                    case "ge": ge = v; break;
                    case "lt": lt = v; break;
                    default: le = v; break;
                }
            }
        }
        var top = query.TryGetValue("$top", out var t) && int.TryParse(t, out var n) ? Math.Clamp(n, 1, MaxPageSize) : DefaultPageSize;
        var (offset, asOf) = query.TryGetValue("$skiptoken", out var token) ? Decode(token) : (0, time.GetUtcNow());
        if (offset < 0) return GraphResponse.Error(400, "BadRequest", "Invalid skip token.");

        var to = new[] { lt, le, asOf }.Where(x => x is not null).Min()!.Value;
        var from = new[] { gt, ge, (DateTimeOffset?)(asOf - TimeSpan.FromDays(30)) }.Where(x => x is not null)
            .Max()!.Value - TimeSpan.FromTicks(1);
        var events = tenant.Events(from, to)
            .Where(e => e.GraphVisibleTime <= asOf
                && (gt is null || e.ActivityDateTime > gt) && (ge is null || e.ActivityDateTime >= ge)
                && (lt is null || e.ActivityDateTime < lt) && (le is null || e.ActivityDateTime <= le))
            .OrderByDescending(e => e.ActivityDateTime).ThenBy(e => e.Id, StringComparer.Ordinal)
            .ToList();
        var page = events.Skip(offset).Take(top).ToList();
        var next = offset + page.Count < events.Count ? offset + page.Count : (int?)null;

        return GraphResponse.Json(GraphResponse.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("@odata.context", "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning");
            if (next is { } nx)
            {
                var filterPart = filter is null ? "" : $"$filter={Uri.EscapeDataString(filter)}&";
                w.WriteString("@odata.nextLink", $"{baseUrl}/auditLogs/provisioning?{filterPart}$top={top}&$skiptoken={Encode(nx, asOf)}");
            }
            w.WriteStartArray("value");
            foreach (var e in page) Write(w, e);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private static void Write(Utf8JsonWriter w, ProvisioningEvent e)
    {
        w.WriteStartObject();
        w.WriteString("id", e.Id);
        w.WriteString("activityDateTime",
            e.ActivityDateTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        w.WriteString("tenantId", e.TenantId);
        w.WriteString("jobId", e.JobId);
        w.WriteString("cycleId", e.CycleId);
        w.WriteString("changeId", e.Id);
        w.WriteNumber("durationInMilliseconds", e.DurationMs);
        w.WriteString("provisioningAction", e.Action);
        w.WriteStartObject("servicePrincipal");
        w.WriteString("id", e.ServicePrincipalId);
        w.WriteString("displayName", e.ServicePrincipalName);
        w.WriteEndObject();
        WriteSystem(w, "sourceSystem", e.SourceSystem);
        WriteSystem(w, "targetSystem", e.TargetSystem);
        w.WriteStartObject("initiatedBy");
        w.WriteString("id", e.Initiator == "system" ? "" : e.Id[..8]);
        w.WriteString("displayName", e.Initiator == "system" ? "Microsoft Entra ID Provisioning Service" : "admin@contoso.example");
        w.WriteString("initiatorType", e.Initiator);
        w.WriteEndObject();
        w.WriteStartObject("sourceIdentity");
        w.WriteString("id", e.Id[..8]);
        w.WriteString("displayName", e.IdentityType.ToLowerInvariant() + e.Id[..4]);
        w.WriteString("identityType", e.IdentityType);
        w.WriteEndObject();
        w.WriteStartObject("targetIdentity");
        w.WriteString("id", "");
        w.WriteString("displayName", "");
        w.WriteString("identityType", "urn:ietf:params:scim:schemas:core:2.0:User");
        w.WriteEndObject();
        w.WriteStartArray("provisioningSteps");
        foreach (var (type, status) in Steps(e)) WriteStep(w, type, status);
        w.WriteEndArray();
        w.WriteStartArray("modifiedProperties");
        w.WriteEndArray();
        w.WriteStartObject("provisioningStatusInfo");
        w.WriteString("status", e.Status);
        if (e.ErrorCode is { } code)
        {
            w.WriteStartObject("errorInformation");
            w.WriteString("errorCode", code);
            w.WriteString("reason", "The operation failed.");
            w.WriteNull("additionalDetails");
            w.WriteString("errorCategory", "NonServiceFailure");
            w.WriteNull("recommendedAction");
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("errorInformation");
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The steps Graph lists for an event: in order up to the one that failed, or up to scoping for a skipped one.</summary>
    public static IEnumerable<(string Type, string Status)> Steps(ProvisioningEvent e)
    {
        foreach (var type in StepOrder)
        {
            if (e.Status == "skipped" && type == "scoping")
            {
                yield return (type, "skipped");
                yield break;
            }
            if (type == e.FailedStep)
            {
                yield return (type, "failure");
                yield break;
            }
            yield return (type, e.Status == "warning" && type == "export" ? "warning" : "success");
        }
    }

    private static readonly string[] StepOrder = ["import", "scoping", "matching", "processing", "referenceResolution", "export"];

    private static void WriteStep(Utf8JsonWriter w, string type, string status)
    {
        w.WriteStartObject();
        w.WriteString("name", type);
        w.WriteString("provisioningStepType", type);
        w.WriteString("status", status);
        w.WriteString("description", $"The {type} step: {status}.");
        w.WriteStartObject("details");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteSystem(Utf8JsonWriter w, string name, string displayName)
    {
        w.WriteStartObject(name);
        w.WriteString("id", displayName.GetHashCode(StringComparison.Ordinal).ToString(CultureInfo.InvariantCulture));
        w.WriteString("displayName", displayName);
        w.WriteStartObject("details");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string Encode(int offset, DateTimeOffset asOf) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{offset}|{asOf.UtcTicks}")).TrimEnd('=').Replace('+', '-')
            .Replace('/', '_');

    private static (int Offset, DateTimeOffset AsOf) Decode(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 += new string('=', (4 - b64.Length % 4) % 4);
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b64)).Split('|');
            return (int.Parse(parts[0], CultureInfo.InvariantCulture),
                new DateTimeOffset(long.Parse(parts[1], CultureInfo.InvariantCulture), TimeSpan.Zero));
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or OverflowException or ArgumentException)
        {
            return (-1, default);
        }
    }
}
