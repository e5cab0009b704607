namespace EntraProvisioningExporter.Exposition;

public enum ExpositionFormat { PrometheusText004, OpenMetrics100 }

/// <summary>Content negotiation for /metrics: OpenMetrics 1.0 when the Accept header prefers it, else text 0.0.4.</summary>
public static class ExpositionFormatNegotiator
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    public static string ContentType(ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics100 ? OpenMetricsContentType : TextContentType;

    /// <summary>
    /// Picks the format with the highest q. OpenMetrics counts when asked for without a version or with
    /// version 1.0.0 (Prometheus 2.42 asks for 1.0.0 first, then 0.0.1 at q=0.75, then text at q=0.5).
    /// Ties go to the text format, which every scraper reads.
    /// </summary>
    public static ExpositionFormat Choose(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept)) return ExpositionFormat.PrometheusText004;
        double openMetricsQ = 0, textQ = 0;
        foreach (var part in accept.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(';', StringSplitOptions.TrimEntries);
            var mediaType = pieces[0].ToLowerInvariant();
            double q = 1;
            string? version = null;
            foreach (var p in pieces.Skip(1))
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0) continue;
                var key = p[..eq].Trim().ToLowerInvariant();
                var value = p[(eq + 1)..].Trim().Trim('"');
                if (key == "q" && double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var qv)) q = Math.Clamp(qv, 0, 1);
                else if (key == "version") version = value;
            }
            if (mediaType == "application/openmetrics-text" && (version is null || version == "1.0.0"))
                openMetricsQ = Math.Max(openMetricsQ, q);
            else if (mediaType is "text/plain" or "*/*" or "text/*")
                textQ = Math.Max(textQ, q);
        }
        return openMetricsQ > 0 && openMetricsQ > textQ ? ExpositionFormat.OpenMetrics100 : ExpositionFormat.PrometheusText004;
    }
}
