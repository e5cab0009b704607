using System.Text.Json;
using EntraProvisioningExporter.Simulator.Scenario;

namespace EntraProvisioningExporter.Simulator.Graph;

/// <summary>
/// Writes Graph v1.0 synchronizationJob payloads exactly as the service shapes them (camelCase, Int64 counters, ISO 8601 durations).
/// </summary>
public static class GraphJsonWriter
{
    public static void WriteJob(Utf8JsonWriter w, SimulatedJob job, JobView view)
    {
        w.WriteStartObject();
        w.WriteString("id", job.Id);
        w.WriteString("templateId", job.TemplateId);
        w.WriteStartObject("schedule");
        w.WriteString("expiration", "");
        w.WriteString("interval", view.ScheduleInterval);
        w.WriteString("state", view.ScheduleState);
        w.WriteEndObject();
        w.WriteStartObject("status");
        w.WriteString("code", view.Code);
        w.WriteNumber("countSuccessiveCompleteFailures", view.SuccessiveCompleteFailures);
        w.WriteBoolean("escrowsPruned", view.EscrowsPruned);
        WriteExecution(w, "lastExecution", view.LastExecution);
        WriteExecution(w, "lastSuccessfulExecution", view.LastSuccessfulExecution);
        WriteExecution(w, "lastSuccessfulExecutionWithExports", view.LastSuccessfulExecutionWithExports);
        w.WriteStartArray("progress");
        foreach (var p in view.Progress)
        {
            w.WriteStartObject();
            w.WriteNumber("completedUnits", p.CompletedUnits);
            w.WriteString("progressObservationDateTime", p.ObservedAt);
            w.WriteNumber("totalUnits", p.TotalUnits);
            w.WriteString("units", p.Units);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (view.Quarantine is { } q)
        {
            w.WriteStartObject("quarantine");
            w.WriteString("currentBegan", q.CurrentBegan);
            w.WriteString("nextAttempt", q.NextAttempt);
            w.WriteString("reason", q.Reason);
            w.WriteString("seriesBegan", q.SeriesBegan);
            w.WriteNumber("seriesCount", q.SeriesCount);
            WriteError(w, q.ErrorCode, q.ErrorMessage, q.TenantActionable);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("quarantine");
        }
        w.WriteString("steadyStateFirstAchievedTime", view.SteadyStateFirstAchievedTime);
        w.WriteString("steadyStateLastAchievedTime", view.SteadyStateLastAchievedTime);
        w.WriteStartArray("synchronizedEntryCountByType");
        foreach (var (key, value) in view.SynchronizedEntryCountByType)
        {
            w.WriteStartObject();
            w.WriteString("key", key);
            w.WriteNumber("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("troubleshootingUrl", "");
        w.WriteEndObject();
        w.WriteStartArray("synchronizationJobSettings");
        foreach (var (name, value) in view.Settings)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteExecution(Utf8JsonWriter w, string name, ExecutionView? e)
    {
        if (e is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        w.WriteString("activityIdentifier", SimulatedTenant.StableGuid(name + e.TimeBegan));
        w.WriteNumber("countEntitled", e.CountEntitled);
        w.WriteNumber("countEntitledForProvisioning", e.CountEntitledForProvisioning);
        w.WriteNumber("countEscrowed", e.CountEscrowed);
        w.WriteNumber("countEscrowedRaw", e.CountEscrowedRaw);
        w.WriteNumber("countExported", e.CountExported);
        w.WriteNumber("countExports", e.CountExports);
        w.WriteNumber("countImported", e.CountImported);
        w.WriteNumber("countImportedDeltas", e.CountImportedDeltas);
        w.WriteNumber("countImportedReferenceDeltas", e.CountImportedReferenceDeltas);
        w.WriteString("state", e.State);
        w.WriteString("timeBegan", e.TimeBegan);
        w.WriteString("timeEnded", e.TimeEnded);
        if (e.ErrorCode is null) w.WriteNull("error");
        else WriteError(w, e.ErrorCode, e.ErrorMessage, e.TenantActionable);
        w.WriteEndObject();
    }

    private static void WriteError(Utf8JsonWriter w, string? code, string? message, bool? tenantActionable)
    {
        w.WriteStartObject("error");
        w.WriteString("code", code);
        w.WriteString("message", message);
        if (tenantActionable is { } actionable) w.WriteBoolean("tenantActionable", actionable);
        else w.WriteNull("tenantActionable");
        w.WriteEndObject();
    }

    public static void WriteError(Utf8JsonWriter w, string code, string message)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("code", code);
        w.WriteString("message", message);
        w.WriteStartObject("innerError");
        w.WriteString("date", "2026-01-01T00:00:00");
        w.WriteString("request-id", "00000000-0000-0000-0000-000000000000");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
