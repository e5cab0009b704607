using System.Text.Json;
using EntraProvisioningExporter.Sources.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Serialization.Json;

namespace EntraProvisioningExporter.Sources.Jobs;

/// <summary>A job the parser could not map, and why; the other jobs of the payload are kept.</summary>
public sealed record JobParseProblem(string ServicePrincipalId, string? JobId, string Reason);

public sealed record ParsedJobs(IReadOnlyList<JobState> Jobs, IReadOnlyList<JobParseProblem> Problems);

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

    public static ParsedJobs Parse(string tenantId, ServicePrincipalRef sp, string body)
    {
        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
            throw new JsonException("The jobs response has no 'value' array.");

        var jobs = new List<JobState>(value.GetArrayLength());
        var problems = new List<JobParseProblem>();
        foreach (var element in value.EnumerateArray())
        {
            var rawId = GraphJson.String(element, "id");
            try
            {
                if (element.ValueKind != JsonValueKind.Object) throw new JsonException("A job is not a JSON object.");
                var typed = new JsonParseNode(element).GetObjectValue(SynchronizationJob.CreateFromDiscriminatorValue)
                    ?? throw new JsonException("The job could not be read.");
                jobs.Add(Map(tenantId, sp, typed, element));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException)
            {
                problems.Add(new JobParseProblem(sp.Id, rawId, ex.Message));
            }
        }
        return new ParsedJobs(jobs, problems);
    }

    internal static JobState Map(string tenantId, ServicePrincipalRef sp, SynchronizationJob job, JsonElement raw)
    {
        if (string.IsNullOrEmpty(job.Id)) throw new JsonException("A job has no id.");
        var status = job.Status;
        var rawStatus = Child(raw, "status");
        var quarantine = status?.Quarantine is { } q
            ? new QuarantineState(
                GraphJson.String(Child(rawStatus, "quarantine"), "reason") ?? KnownValues.Unknown,
                Time(q.CurrentBegan), Time(q.SeriesBegan), Time(q.NextAttempt), q.SeriesCount, q.Error?.Code, q.Error?.TenantActionable)
            : null;

        return new JobState
        {
            TenantId = tenantId,
            ServicePrincipalId = sp.Id,
            AppName = sp.DisplayName,
            JobId = job.Id,
            TemplateId = job.TemplateId ?? "",
            StatusCode = GraphJson.String(rawStatus, "code") ?? KnownValues.Unknown,
            ScheduleState = GraphJson.String(Child(raw, "schedule"), "state"),
            ScheduleInterval = job.Schedule?.Interval is { } interval && interval > TimeSpan.Zero && interval < InfiniteInterval ? interval : null,
            SuccessiveCompleteFailures = status?.CountSuccessiveCompleteFailures,
            EscrowsPruned = status?.EscrowsPruned,
            Quarantine = quarantine,
            LastExecution = Execution(status?.LastExecution, Child(rawStatus, "lastExecution")),
            LastSuccessfulExecution = Finished(status?.LastSuccessfulExecution),
            LastSuccessfulExport = Finished(status?.LastSuccessfulExecutionWithExports),
            SteadyStateLastAchieved = Time(status?.SteadyStateLastAchievedTime),
            SteadyStateFirstAchieved = Time(status?.SteadyStateFirstAchievedTime),
            SteadyStateReached = status is null ? null : Time(status.SteadyStateFirstAchievedTime) is not null,
            Progress = Progress(status?.Progress),
            DeleteThreshold = JobSettings.DeleteThreshold(raw),
            SynchronizedEntries = status?.SynchronizedEntryCountByType?
                .Where(kv => !string.IsNullOrEmpty(kv.Key) && kv.Value is not null)
                .Select(kv => new KeyValuePair<string, long>(kv.Key!, kv.Value!.Value))
                .ToList() ?? [],
        };
    }

    private static ExecutionState? Execution(SynchronizationTaskExecution? e, JsonElement? raw) => e is null ? null : new ExecutionState
    {
        State = GraphJson.String(raw, "state") ?? KnownValues.Unknown,
        TimeBegan = Time(e.TimeBegan),
        TimeEnded = Time(e.TimeEnded),
        CountEntitled = e.CountEntitled,
        CountEntitledForProvisioning = e.CountEntitledForProvisioning,
        CountEscrowed = e.CountEscrowed,
        CountEscrowedRaw = e.CountEscrowedRaw,
        CountExported = e.CountExported,
        CountExports = e.CountExports,
        CountImported = e.CountImported,
        CountImportedDeltas = e.CountImportedDeltas,
        CountImportedReferenceDeltas = e.CountImportedReferenceDeltas,
    };

    /// <summary>Entries without a unit kind are dropped; a kind Graph lists twice keeps its latest observation.</summary>
    private static IReadOnlyList<ProgressState> Progress(List<SynchronizationProgress>? progress) =>
        progress is null or [] ? [] : progress
            .Where(p => p is not null && !string.IsNullOrWhiteSpace(p.Units))
            .GroupBy(p => p.Units!.Trim(), StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(p => Time(p.ProgressObservationDateTime) ?? DateTimeOffset.MinValue).First())
            .Select(p => new ProgressState(p.Units!.Trim(), NonNegative(p.CompletedUnits), NonNegative(p.TotalUnits), Time(p.ProgressObservationDateTime)))
            .OrderBy(p => p.Units, StringComparer.Ordinal)
            .ToList();

    private static long? NonNegative(long? value) => value is >= 0 ? value : null;

    /// <summary>When an execution finished (or began, if it has no end).</summary>
    private static DateTimeOffset? Finished(SynchronizationTaskExecution? e) => e is null ? null : Time(e.TimeEnded) ?? Time(e.TimeBegan);

    /// <summary>"0001-01-01T00:00:00Z" means never; the SDK already turns "" into null.</summary>
    internal static DateTimeOffset? Time(DateTimeOffset? value) => value is { } v && v.Year > 1 ? v : null;

    private static JsonElement? Child(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var child) && child.ValueKind == JsonValueKind.Object ? child : null;

}
