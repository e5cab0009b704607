using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.Metrics;

/// <summary>The exporter's own event-driven instruments: poll durations, poll errors by reason, HTTP responses by status.</summary>
public sealed class ExporterSelfMetrics
{
    private readonly Histogram<double> pollDuration;
    private readonly Counter<long> pollErrors;
    private readonly Counter<long> httpRequests;

    public ExporterSelfMetrics(ExporterMeter meter)
    {
        var m = meter.Live;
        meter.PlanSeries("entra_exporter_poll_duration_seconds", 0, 1000);
        pollDuration = m.CreateHistogram("entra_exporter_poll_duration_seconds", unit: null,
            description: "Duration of one poll cycle of a source, in seconds.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });
        meter.PlanSeries("entra_exporter_poll_errors_total", 0, 10_000);
        pollErrors = m.CreateCounter<long>("entra_exporter_poll_errors_total", unit: null,
            description: "Poll cycles of a source that failed, or partly failed, by reason.");
        meter.PlanSeries("entra_exporter_http_requests_total", 0, 1000);
        httpRequests = m.CreateCounter<long>("entra_exporter_http_requests_total", unit: null,
            description: "HTTP responses received from Microsoft endpoints, by source and status code (each retry counts).");
    }

    public void RecordPollDuration(string tenantId, string source, double seconds) =>
        pollDuration.Record(seconds, new("tenant_id", tenantId), new("source", source));

    public void CountPollError(string tenantId, string source, string reason) =>
        pollErrors.Add(1, new("tenant_id", tenantId), new("source", source), new("reason", reason));

    /// <summary>Creates every reason's series at 0, so increase() and rate() see the first error.</summary>
    public void InitializePollErrors(string tenantId, string source)
    {
        foreach (var reason in PollErrorReason.All)
            pollErrors.Add(0, new("tenant_id", tenantId), new("source", source), new("reason", reason));
    }

    public void CountHttpResponse(string source, int statusCode) =>
        httpRequests.Add(1, new("source", source), new("status_code", statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
