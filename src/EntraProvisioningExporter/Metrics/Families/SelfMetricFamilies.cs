using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Metrics.Families;

/// <summary>
/// The exporter's event-driven families, recorded through <see cref="ExporterSelfMetrics"/> as cycles end and responses arrive.
/// </summary>
public static class SelfMetricFamilies
{
    public static readonly RecordedFamily PollDuration = new("entra_exporter_poll_duration_seconds", MetricKind.Histogram,
        "Duration of one poll cycle of a source, in seconds.", ["tenant_id", "source"], SeriesBound.AtMost(1_000),
        [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]);

    public static readonly RecordedFamily PollErrors = new("entra_exporter_poll_errors_total", MetricKind.Counter,
        "Poll cycles of a source that failed, or partly failed, by reason.", ["tenant_id", "source", "reason"], SeriesBound.AtMost(10_000));

    public static readonly RecordedFamily DroppedObjects = new("entra_exporter_dropped_objects_total", MetricKind.Counter,
        "Objects read from Microsoft that a source left out (a job, a service principal's jobs, a log event or row, the rest of "
            + "a paged collection), by reason.",
        ["tenant_id", "source", "reason"], SeriesBound.AtMost(10_000));

    public static readonly RecordedFamily HttpRequests = new("entra_exporter_http_requests_total", MetricKind.Counter,
        "HTTP responses received from Microsoft endpoints, by source and status code (each retry counts).", ["source", "status_code"],
            SeriesBound.AtMost(1_000));

    public static IEnumerable<MetricFamily> All(ExporterOptions o) => [PollDuration, PollErrors, DroppedObjects, HttpRequests];
}
