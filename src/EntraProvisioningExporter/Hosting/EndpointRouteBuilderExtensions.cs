using EntraProvisioningExporter.Exposition;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EntraProvisioningExporter.Hosting;

public static class EndpointRouteBuilderExtensions
{
    /// <summary>The middleware the endpoints need, before them: gzip when the scraper accepts it, and /metrics protection.</summary>
    public static IApplicationBuilder UseExporterMiddleware(this IApplicationBuilder app) =>
        app.UseResponseCompression().UseMiddleware<MetricsAuthMiddleware>();

    /// <summary>Every endpoint only reads: GET and HEAD, any other method 405 (<see cref="ReadOnlyEndpoints"/>).</summary>
    public static IEndpointRouteBuilder MapExporterEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var expositions = endpoints.ServiceProvider.GetRequiredService<MetricExpositions>();
        // prometheus-net's handler negotiates text 0.0.4 or OpenMetrics 1.0 from the Accept header, on the registry in force.
        endpoints.Map("/metrics", expositions.ServeAsync).WithDisplayName("Prometheus metrics")
            .WithMetadata(RequiresMetricsAuth.Instance).AllowGetAndHeadOnly();
        endpoints.MapGet(ProbeEndpoint.Path, ProbeEndpoint.HandleAsync).WithMetadata(RequiresMetricsAuth.Instance).AllowGetAndHeadOnly();
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowGetAndHeadOnly();
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowGetAndHeadOnly();
        // The status page says what the metrics say, so it is protected like them.
        endpoints.MapGet("/", (HttpContext context, StatusPage page) =>
        {
            var rows = int.TryParse(context.Request.Query["rows"], out var n) ? n : StatusPage.DefaultRows;
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Content(page.Render(rows), "text/html; charset=utf-8");
        }).WithMetadata(RequiresMetricsAuth.Instance).AllowGetAndHeadOnly();
        return endpoints;
    }
}
