using System.Globalization;
using EntraProvisioningExporter.Metrics.Families;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.Metrics;

/// <summary>One exposition's side of the recorded families: /metrics always, OTLP when it is on.</summary>
public interface IMetricRecorder
{
    /// <summary>Adds to a counter series; adding 0 creates the series at 0.</summary>
    void Add(RecordedFamily family, double increment, params ReadOnlySpan<string> labelValues);

    /// <summary>Records one observation of a histogram.</summary>
    void Observe(RecordedFamily family, double value, params ReadOnlySpan<string> labelValues);

    /// <summary>Removes a series (a tenant's, once it is no longer configured), where the exposition can.</summary>
    void Remove(RecordedFamily family, params ReadOnlySpan<string> labelValues);
}

/// <summary>The exporter's event-driven self-metrics (<see cref="SelfMetricFamilies"/>), recorded in every exposition.</summary>
public sealed class ExporterSelfMetrics(IEnumerable<IMetricRecorder> recorders)
{
    private readonly IMetricRecorder[] recorders = [.. recorders];

    public void RecordPollDuration(string tenantId, string source, double seconds)
    {
        foreach (var r in recorders) r.Observe(SelfMetricFamilies.PollDuration, seconds, tenantId, source);
    }

    public void CountPollError(string tenantId, string source, string reason)
    {
        foreach (var r in recorders) r.Add(SelfMetricFamilies.PollErrors, 1, tenantId, source, reason);
    }

    /// <summary>
    /// Creates every reason's series (poll errors and dropped objects) at 0, so increase() and rate() see the first error.
    /// </summary>
    public void InitializePollErrors(string tenantId, string source)
    {
        foreach (var reason in PollErrorReason.All)
            foreach (var r in recorders) r.Add(SelfMetricFamilies.PollErrors, 0, tenantId, source, reason);
        foreach (var reason in DropReason.All)
            foreach (var r in recorders) r.Add(SelfMetricFamilies.DroppedObjects, 0, tenantId, source, reason);
    }

    public void CountDroppedObject(string tenantId, string source, string reason)
    {
        foreach (var r in recorders) r.Add(SelfMetricFamilies.DroppedObjects, 1, tenantId, source, reason);
    }

    /// <summary>Removes a tenant's source series (poll durations and errors), once the tenant or source is gone.</summary>
    public void RemoveSource(string tenantId, string source)
    {
        foreach (var r in recorders)
        {
            r.Remove(SelfMetricFamilies.PollDuration, tenantId, source);
            foreach (var reason in PollErrorReason.All) r.Remove(SelfMetricFamilies.PollErrors, tenantId, source, reason);
            foreach (var reason in DropReason.All) r.Remove(SelfMetricFamilies.DroppedObjects, tenantId, source, reason);
        }
    }

    public void CountHttpResponse(string source, int statusCode)
    {
        var code = statusCode.ToString(CultureInfo.InvariantCulture);
        foreach (var r in recorders) r.Add(SelfMetricFamilies.HttpRequests, 1, source, code);
    }
}
