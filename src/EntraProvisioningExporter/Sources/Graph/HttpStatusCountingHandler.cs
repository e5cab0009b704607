using EntraProvisioningExporter.Metrics;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>
/// Counts every HTTP response by status code (innermost, so each retry counts) for entra_exporter_http_requests_total,
/// and records it as the request's <see cref="LastResponse"/> for <see cref="RetriesExhaustedHandler"/>.
/// </summary>
public sealed class HttpStatusCountingHandler(ExporterSelfMetrics metrics, string source) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        metrics.CountHttpResponse(source, (int)response.StatusCode);
        LastResponse.RecordOn(request, response);
        return response;
    }
}
