using EntraProvisioningExporter.Exposition;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EntraProvisioningExporter.Hosting;

public static class EndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapExporterEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/metrics", WriteMetricsAsync).AddEndpointFilter<MetricsAuthFilter>();
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        endpoints.MapGet("/", () => Results.Content(LandingPage, "text/html; charset=utf-8"));
        return endpoints;
    }

    private const string LandingPage = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Entra Provisioning Exporter</title></head>
        <body><h1>Entra Provisioning Exporter</h1>
        <p>Microsoft Entra ID provisioning job health as Prometheus metrics.</p>
        <ul><li><a href="metrics">/metrics</a>: the metrics</li><li><a href="healthz">/healthz</a>: liveness</li><li><a href="readyz">/readyz</a>: readiness (first poll cycle done)</li></ul>
        </body></html>
        """;

    /// <summary>
    /// The polled families as rendered for the current snapshots, then the live ones collected now (shared with
    /// concurrent scrapes), streamed to the body; gzip when the scraper accepts it (Prometheus does).
    /// </summary>
    private static async Task WriteMetricsAsync(HttpContext context, ScrapeCoordinator live, PolledFamiliesCache polled)
    {
        var format = ExpositionFormatNegotiator.Choose(context.Request.Headers.Accept.ToString());
        var gzip = ExpositionFormatNegotiator.AcceptsGzip(context.Request.Headers.AcceptEncoding.ToString());
        using var head = await polled.GetAsync(format, context.RequestAborted).ConfigureAwait(false);
        var liveSnapshot = await live.CollectAsync(context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = ExpositionFormatNegotiator.ContentType(format);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Vary = "Accept-Encoding";
        if (gzip) context.Response.Headers.ContentEncoding = "gzip";
        await ExpositionStreamer.WriteAsync(context.Response.BodyWriter, head, liveSnapshot, format, gzip, context.RequestAborted).ConfigureAwait(false);
    }
}
