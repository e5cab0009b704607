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

    [Fact]
    public void Content_types_name_the_versions()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", ExpositionFormatNegotiator.ContentType(ExpositionFormat.PrometheusText004));
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", ExpositionFormatNegotiator.ContentType(ExpositionFormat.OpenMetrics100));
    }
}
