using System.Text.Json;
using EntraProvisioningExporter.Sources.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Serialization.Json;

namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>A job the parser dropped, why (a <see cref="DropReason"/>) and the detail; the other jobs of the payload are kept.</summary>
public sealed record JobParseProblem(string ServicePrincipalId, string? JobId, string DropReason, string Detail);

/// <summary>The jobs of one page, the jobs dropped from it, and the page that follows (Graph's @odata.nextLink), if any.</summary>
public sealed record ParsedJobs(IReadOnlyList<JobState> Jobs, IReadOnlyList<JobParseProblem> Problems, string? NextLink = null);

/// <summary>
/// Turns a Graph "list synchronization jobs" body into <see cref="JobState"/>s. Each job is read with the
/// Microsoft.Graph SDK's own model (Kiota), one job at a time so one bad job cannot drop the others.
/// Kiota turns enum strings it does not know into null (and keeps them nowhere, not even in AdditionalData),
/// so the four enum-valued fields are read from the raw JSON instead: a new quarantine reason is never lost.
/// </summary>
public static class JobPayloadParser
{
    /// <summary>Anything longer than this is "never" (Microsoft's sample uses TimeSpan.MaxValue).</summary>
    private static readonly TimeSpan InfiniteInterval = TimeSpan.FromDays(365 * 100);

    /// <summary>
    /// One page of a service principal's jobs. Throws <see cref="JsonException"/> only when the page as a whole cannot be
    /// read (not JSON, too deep, no 'value' array); a job that cannot be read is dropped and listed in the problems.
    /// Strings are read leniently (<see cref="LenientJson"/>), so an odd character never costs more than itself.
    /// </summary>
    public static ParsedJobs Parse(string tenantId, ServicePrincipalRef sp, string body)
    {
        using var doc = JsonDocument.Parse(LenientJson.Repair(System.Text.Encoding.UTF8.GetBytes(body), isBatch: false));
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("value", out var value)
            || value.ValueKind != JsonValueKind.Array)
            throw new JsonException("The jobs response has no 'value' array.");

        var jobs = new List<JobState>(value.GetArrayLength());
        var problems = new List<JobParseProblem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in value.EnumerateArray())
        {
            var rawId = GraphJson.String(element, "id");
            try
            {
                if (element.ValueKind != JsonValueKind.Object) throw new JsonException("A job is not a JSON object.");
                if (rawId is null) throw new JsonException("A job has no id.");
                if (!LabelCap.IdFits(rawId))
                {
                    problems.Add(new JobParseProblem(sp.Id, rawId, DropReason.IdTooLong,
                        $"the job id is {rawId.Length} characters, over the {LabelCap.MaxBytes}-byte label cap"));
                    continue;
                }
                if (!ids.Add(rawId))
                {
                    problems.Add(new JobParseProblem(sp.Id, rawId, DropReason.Invalid,
                        "the job id appears twice in the list; the first is kept"));
                    continue;
                }
                var lost = new List<string>();
                jobs.Add(Map(tenantId, sp, ReadModel(element), element, lost));
                foreach (var detail in lost)
                    problems.Add(new JobParseProblem(sp.Id, rawId, DropReason.BadValue, $"{detail}; the job is kept without it"));
            }
            catch (Exception ex) when (ex
                is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException)
            {
                problems.Add(new JobParseProblem(sp.Id, rawId, DropReason.Invalid, ex.Message));
            }
        }
        return new ParsedJobs(jobs, problems, GraphJson.String(doc.RootElement, "@odata.nextLink"));
    }

    /// <summary>
    /// The job in the SDK's model. The SDK throws on a value it cannot convert (a number past Int64, a date or duration
    /// that is not one), which would cost the whole job: such values are then nulled and the job read again, so
    /// a value that cannot be read drops only that value.
    /// </summary>
    private static SynchronizationJob ReadModel(JsonElement element)
    {
        try
        {
            return new JsonParseNode(element).GetObjectValue(SynchronizationJob.CreateFromDiscriminatorValue)
                ?? throw new JsonException("The job could not be read.");
        }
        catch (Exception ex) when (ex
            is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException)
        {
            using var cleaned = JsonDocument.Parse(UnreadableValuesNulled(element)!.ToJsonString());
            return new JsonParseNode(cleaned.RootElement.Clone()).GetObjectValue(SynchronizationJob.CreateFromDiscriminatorValue)
                ?? throw new JsonException("The job could not be read.");
        }
    }

    private static readonly string[] TimeSuffixes = ["Time", "DateTime", "Began", "Ended", "Attempt"];

    private static System.Text.Json.Nodes.JsonNode? UnreadableValuesNulled(JsonElement element, string? name = null)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var o = new System.Text.Json.Nodes.JsonObject();
                foreach (var p in element.EnumerateObject()) o[p.Name] = UnreadableValuesNulled(p.Value, p.Name);
                return o;
            case JsonValueKind.Array:
                var a = new System.Text.Json.Nodes.JsonArray();
                foreach (var item in element.EnumerateArray()) a.Add(UnreadableValuesNulled(item, name));
                return a;
            case JsonValueKind.Number:
                // Every number of the job model is an integer (counts, thresholds): anything else cannot be read into it.
                return element.TryGetInt64(out var l) ? System.Text.Json.Nodes.JsonValue.Create(l) : null;
            case JsonValueKind.String:
                var text = element.GetString();
                if (name is not null && TimeSuffixes.Any(t => name.EndsWith(t, StringComparison.OrdinalIgnoreCase))
                    && !string.IsNullOrEmpty(text)
                        && !DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                        System.Globalization.DateTimeStyles.None, out _))
                    return null;
                if (name == "interval" && !string.IsNullOrEmpty(text) && !IsDuration(text)) return null;
                return System.Text.Json.Nodes.JsonValue.Create(text);
            default:
                return System.Text.Json.Nodes.JsonNode.Parse(element.GetRawText());
        }
    }

    private static bool IsDuration(string text)
    {
        try
        {
            _ = System.Xml.XmlConvert.ToTimeSpan(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>
    /// The job's state; each value that is there but cannot be read is left out and described in <paramref name="lost"/>.
    /// </summary>
    internal static JobState Map(string tenantId, ServicePrincipalRef sp, SynchronizationJob job, JsonElement raw, List<string> lost)
    {
        if (string.IsNullOrEmpty(job.Id)) throw new JsonException("A job has no id.");
        var status = job.Status;
        var rawStatus = Child(raw, "status");
        var rawQuarantine = Present(rawStatus, "quarantine", "status.quarantine", lost);
        var rawExecution = Present(rawStatus, "lastExecution", "status.lastExecution", lost);
        var quarantine = status?.Quarantine is { } q && rawQuarantine is { } rq
            && Error(rq, "status.quarantine.error", lost) is var (code, actionable)
            ? new QuarantineState(
                LabelCap.Name(GraphJson.String(Child(rawStatus, "quarantine"), "reason") ?? KnownValues.Unknown),
                Time(q.CurrentBegan), Time(q.SeriesBegan), Time(q.NextAttempt), NonNegative(q.SeriesCount), code, actionable)
            : null;

        return new JobState
        {
            TenantId = tenantId,
            ServicePrincipalId = sp.Id,
            AppName = LabelCap.Name(sp.DisplayName),
            JobId = job.Id,
            TemplateId = LabelCap.Name(job.TemplateId ?? ""),
            StatusCode = LabelCap.Name(GraphJson.String(rawStatus, "code") ?? KnownValues.Unknown),
            ScheduleState = LabelCap.NameOrNull(GraphJson.String(Child(raw, "schedule"), "state")),
            ScheduleInterval = job.Schedule?.Interval is { } interval && interval > TimeSpan.Zero && interval < InfiniteInterval ? interval
                : null,
            SuccessiveCompleteFailures = NonNegative(status?.CountSuccessiveCompleteFailures),
            EscrowsPruned = status?.EscrowsPruned,
            Quarantine = quarantine,
            LastExecution = rawExecution is { } re ? Execution(status?.LastExecution, re, lost) : null,
            LastSuccessfulExecution = Finished(status?.LastSuccessfulExecution),
            LastSuccessfulExport = Finished(status?.LastSuccessfulExecutionWithExports),
            SteadyStateLastAchieved = Time(status?.SteadyStateLastAchievedTime),
            SteadyStateFirstAchieved = Time(status?.SteadyStateFirstAchievedTime),
            SteadyStateReached = status is null ? null : Time(status.SteadyStateFirstAchievedTime) is not null,
            Progress = Progress(status?.Progress),
            DeleteThreshold = JobSettings.DeleteThreshold(raw),
            SynchronizedEntries = status?.SynchronizedEntryCountByType?
                .Where(kv => !string.IsNullOrEmpty(kv.Key) && kv.Value is >= 0)
                .Select(kv => new KeyValuePair<string, long>(LabelCap.Name(kv.Key!), kv.Value!.Value))
                .DistinctBy(kv => kv.Key, StringComparer.Ordinal)
                .Take(LabelCap.MaxEntriesPerJob)
                .ToList() ?? [],
        };
    }

    private static ExecutionState? Execution(SynchronizationTaskExecution? e, JsonElement raw, List<string> lost)
    {
        if (e is null) return null;
        var (code, actionable) = Error(raw, "status.lastExecution.error", lost);
        return new ExecutionState
        {
            ErrorCode = code,
            ErrorTenantActionable = actionable,
            State = LabelCap.Name(GraphJson.String(raw, "state") ?? KnownValues.Unknown),
            TimeBegan = Time(e.TimeBegan),
            TimeEnded = Time(e.TimeEnded),
            CountEntitled = NonNegative(e.CountEntitled),
            CountEntitledForProvisioning = NonNegative(e.CountEntitledForProvisioning),
            CountEscrowed = NonNegative(e.CountEscrowed),
            CountEscrowedRaw = NonNegative(e.CountEscrowedRaw),
            CountExported = NonNegative(e.CountExported),
            CountExports = NonNegative(e.CountExports),
            CountImported = NonNegative(e.CountImported),
            CountImportedDeltas = NonNegative(e.CountImportedDeltas),
            CountImportedReferenceDeltas = NonNegative(e.CountImportedReferenceDeltas),
        };
    }

    /// <summary>
    /// A synchronizationError's code (trimmed, capped) and tenantActionable, read from the raw JSON: the SDK turns a
    /// value of the wrong type into null, which would hide a run error without a trace. Graph sends "no error" as a null
    /// or absent error, a null code or an empty one: all are none, and an error without a code says nothing about who can
    /// fix it. An error, code or tenantActionable of the wrong type is lost, and said so in <paramref name="lost"/>.
    /// </summary>
    private static (string? Code, bool? TenantActionable) Error(JsonElement parent, string path, List<string> lost)
    {
        if (Present(parent, "error", path, lost) is not { } error) return (null, null);
        string? code = null;
        if (error.TryGetProperty("code", out var c))
        {
            if (c.ValueKind == JsonValueKind.String) code = c.GetString();
            else if (c.ValueKind != JsonValueKind.Null) lost.Add($"{path}.code is {Kind(c)}, not a string");
        }
        if (string.IsNullOrWhiteSpace(code)) return (null, null);
        bool? actionable = null;
        if (error.TryGetProperty("tenantActionable", out var a))
        {
            if (a.ValueKind is JsonValueKind.True or JsonValueKind.False) actionable = a.GetBoolean();
            else if (a.ValueKind != JsonValueKind.Null) lost.Add($"{path}.tenantActionable is {Kind(a)}, not a boolean");
        }
        return (LabelCap.Name(code.Trim()), actionable);
    }

    /// <summary>A child object; absent or null is none, and anything else (a string, a number, an array) is lost, said so.</summary>
    private static JsonElement? Present(JsonElement? parent, string name, string path, List<string> lost)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty(name, out var child)
            || child.ValueKind == JsonValueKind.Null)
            return null;
        if (child.ValueKind == JsonValueKind.Object) return child;
        lost.Add($"{path} is {Kind(child)}, not an object");
        return null;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "an object",
    };

    /// <summary>Entries without a unit kind are dropped; a kind Graph lists twice keeps its latest observation.</summary>
    private static IReadOnlyList<ProgressState> Progress(List<SynchronizationProgress>? progress) =>
        progress is null or [] ? [] : progress
            .Where(p => p is not null && !string.IsNullOrWhiteSpace(p.Units))
            .GroupBy(p => LabelCap.Name(p.Units!.Trim()), StringComparer.Ordinal)
            .Take(LabelCap.MaxEntriesPerJob)
            .Select(g => g.OrderByDescending(p => Time(p.ProgressObservationDateTime) ?? DateTimeOffset.MinValue).First())
            .Select(p => new ProgressState(LabelCap.Name(p.Units!.Trim()), NonNegative(p.CompletedUnits), NonNegative(p.TotalUnits),
                Time(p.ProgressObservationDateTime)))
            .OrderBy(p => p.Units, StringComparer.Ordinal)
            .ToList();

    private static long? NonNegative(long? value) => value is >= 0 ? value : null;

    /// <summary>When an execution finished (or began, if it has no end).</summary>
    private static DateTimeOffset? Finished(SynchronizationTaskExecution? e) => e is null ? null : Time(e.TimeEnded) ?? Time(e.TimeBegan);

    /// <summary>
    /// "0001-01-01T00:00:00Z" means never; the SDK already turns "" into null. Nothing the exporter reads happened before
    /// 1970 (a Unix timestamp would be negative), so any earlier time is no time.
    /// </summary>
    internal static DateTimeOffset? Time(DateTimeOffset? value) => value is { } v && v >= DateTimeOffset.UnixEpoch ? v : null;

    private static JsonElement? Child(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var child) && child.ValueKind == JsonValueKind.Object
            ? child : null;

}
