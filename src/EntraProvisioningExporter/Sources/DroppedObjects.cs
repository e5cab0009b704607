using System.Collections.Concurrent;
using EntraProvisioningExporter.Metrics;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Sources;

/// <summary>
/// Why an object read from Microsoft was left out (label <c>reason</c> of entra_exporter_dropped_objects_total). A bounded set.
/// </summary>
public static class DropReason
{
    /// <summary>
    /// Its JSON cannot be read at all (truncated, not JSON, nested past the reader's depth limit, not the expected shape).
    /// </summary>
    public const string Unreadable = "unreadable";

    /// <summary>It is JSON but lacks what identifies it (no id, not an object, a field of the wrong type the SDK refuses).</summary>
    public const string Invalid = "invalid";

    /// <summary>An id (service principal, job) longer than the label cap: truncating it would merge or mislabel series.</summary>
    public const string IdTooLong = "id_too_long";

    /// <summary>A number it cannot be counted without is negative, not a number or absurdly large.</summary>
    public const string BadValue = "bad_value";

    /// <summary>A log event dated outside the range it was asked for.</summary>
    public const string OutOfWindow = "out_of_window";

    /// <summary>A log event dated in the future beyond the allowed clock skew.</summary>
    public const string Future = "future";

    /// <summary>A collection's paging stopped at the page budget: what lies past it was not read this cycle.</summary>
    public const string PageBudget = "page_budget";

    public static readonly IReadOnlyList<string> All = [Unreadable, Invalid, IdTooLong, BadValue, OutOfWindow, Future, PageBudget];
}

/// <summary>
/// Counts and logs the objects each source leaves out. The counter moves on every drop; the warning naming the object
/// is logged once per tenant, source, object and reason, so a bad object present every cycle logs once, not every
/// cycle. What was logged is remembered up to <see cref="MaxRemembered"/> entries, then forgotten at once (so memory
/// is bounded and a long-lived bad object is at worst logged again after that many others).
/// </summary>
public sealed partial class DroppedObjects(ExporterSelfMetrics metrics, ILogger<DroppedObjects> logger)
{
    public const int MaxRemembered = 10_000;

    /// <summary>Longest object id a log line carries (the id itself may be a hostile megabyte).</summary>
    public const int MaxLoggedIdLength = 200;

    private readonly ConcurrentDictionary<(string Tenant, string Source), long> totals = new();
    private readonly HashSet<(string Tenant, string Source, string Id, string Reason)> logged = [];
    private readonly Lock gate = new();

    public void Drop(string tenantId, string source, string reason, string? objectId, string detail)
    {
        metrics.CountDroppedObject(tenantId, source, reason);
        totals.AddOrUpdate((tenantId, source), 1, (_, n) => n + 1);
        var id = Bounded(objectId);
        lock (gate)
        {
            if (logged.Count >= MaxRemembered) logged.Clear();
            if (!logged.Add((tenantId, source, id, reason))) return;
        }
        LogDropped(logger, tenantId, source, id, reason, Bounded(detail));
    }

    /// <summary>How many objects a source of a tenant has dropped since it started (the status page).</summary>
    public long Total(string tenantId, string source) => totals.GetValueOrDefault((tenantId, source));

    /// <summary>Forgets a tenant's source (removed, or rebuilt).</summary>
    public void Remove(string tenantId, string source)
    {
        totals.TryRemove((tenantId, source), out _);
        lock (gate) logged.RemoveWhere(e => e.Tenant == tenantId && e.Source == source);
    }

    private static string Bounded(string? text) =>
        string.IsNullOrEmpty(text) ? "(no id)" : text.Length <= MaxLoggedIdLength ? text : text[..MaxLoggedIdLength]
            + $"…({text.Length} chars)";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant} source {Source}: dropped {ObjectId} ({Reason}): {Detail}. Logged "
        + "once per object and reason; entra_exporter_dropped_objects_total counts every drop")]
    private static partial void LogDropped(ILogger logger, string tenant, string source, string objectId, string reason, string detail);
}

/// <summary>One source's side of <see cref="DroppedObjects"/>, so a reader need not carry its tenant and source.</summary>
public sealed class SourceDrops(DroppedObjects drops, string tenantId, string source)
{
    public void Drop(string reason, string? objectId, string detail) => drops.Drop(tenantId, source, reason, objectId, detail);
}
