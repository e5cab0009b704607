using EntraProvisioningExporter.Exposition;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace EntraProvisioningExporter.Hosting;

public static class EndpointRouteBuilderExtensions
{
    /// <summary>The middleware the endpoints need, before them: gzip when the scraper accepts it, and /metrics protection.</summary>
    public static IApplicationBuilder UseExporterMiddleware(this IApplicationBuilder app) =>
        app.UseResponseCompression().UseMiddleware<MetricsAuthMiddleware>();

    public static IEndpointRouteBuilder MapExporterEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var registry = endpoints.ServiceProvider.GetRequiredService<PrometheusExposition>().Registry;
        // prometheus-net negotiates text 0.0.4 or OpenMetrics 1.0 from the Accept header.
        endpoints.MapMetrics(settings => settings.Registry = registry, "/metrics").WithMetadata(RequiresMetricsAuth.Instance);
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
}
