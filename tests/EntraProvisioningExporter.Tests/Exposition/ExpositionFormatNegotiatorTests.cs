using EntraProvisioningExporter.Exposition;

namespace EntraProvisioningExporter.Tests.Exposition;

public class ExpositionFormatNegotiatorTests
{
    [Theory]
    // Prometheus 2.42's scrape Accept header.
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", ExpositionFormat.OpenMetrics100)]
    [InlineData("application/openmetrics-text", ExpositionFormat.OpenMetrics100)]
    [InlineData("application/openmetrics-text; version=1.0.0; charset=utf-8", ExpositionFormat.OpenMetrics100)]
    [InlineData("text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5", ExpositionFormat.PrometheusText004)]
    [InlineData("application/openmetrics-text;version=0.0.1", ExpositionFormat.PrometheusText004)]
    [InlineData("application/openmetrics-text;version=1.0.0;q=0", ExpositionFormat.PrometheusText004)]
    [InlineData("text/plain", ExpositionFormat.PrometheusText004)]
    [InlineData("*/*", ExpositionFormat.PrometheusText004)]
    [InlineData("", ExpositionFormat.PrometheusText004)]
    [InlineData(null, ExpositionFormat.PrometheusText004)]
    [InlineData("garbage;;;q=x,,", ExpositionFormat.PrometheusText004)]
    public void Chooses_the_preferred_supported_format(string? accept, ExpositionFormat expected)
    {
        Assert.Equal(expected, ExpositionFormatNegotiator.Choose(accept));
    }

    [Theory]
    [InlineData("gzip", true)] // Prometheus
    [InlineData("gzip, deflate, br", true)]
    [InlineData("br;q=1.0, GZIP;q=0.5", true)]
    [InlineData("x-gzip", true)]
    [InlineData("*", true)]
    [InlineData("identity", false)]
    [InlineData("gzip;q=0", false)]
    [InlineData("gzip;q=0, *", false)] // named with q=0: refused even though * allows anything
    [InlineData("*;q=0", false)]
    [InlineData("deflate", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Gzip_only_when_the_scraper_accepts_it(string? acceptEncoding, bool expected) =>
        Assert.Equal(expected, ExpositionFormatNegotiator.AcceptsGzip(acceptEncoding));

    [Fact]
    public void Content_types_name_the_versions()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", ExpositionFormatNegotiator.ContentType(ExpositionFormat.PrometheusText004));
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", ExpositionFormatNegotiator.ContentType(ExpositionFormat.OpenMetrics100));
    }
}
