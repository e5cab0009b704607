namespace EntraProvisioningExporter.Exposition;

public enum ExpositionFormat { PrometheusText004, OpenMetrics100 }

/// <summary>Content negotiation for /metrics: OpenMetrics 1.0 when the Accept header prefers it, else text 0.0.4; gzip when accepted.</summary>
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
        double openMetricsQ = 0, textQ = 0;
        foreach (var (mediaType, q, version) in Entries(accept))
        {
            if (mediaType == "application/openmetrics-text" && (version is null || version == "1.0.0"))
                openMetricsQ = Math.Max(openMetricsQ, q);
            else if (mediaType is "text/plain" or "*/*" or "text/*")
                textQ = Math.Max(textQ, q);
        }
        return openMetricsQ > 0 && openMetricsQ > textQ ? ExpositionFormat.OpenMetrics100 : ExpositionFormat.PrometheusText004;
    }

    /// <summary>
    /// Whether the Accept-Encoding header allows gzip: named with q above 0, or "*" with q above 0 when gzip is
    /// not named (RFC 9110 12.5.3). Prometheus sends "gzip".
    /// </summary>
    public static bool AcceptsGzip(string? acceptEncoding)
    {
        double? gzipQ = null, anyQ = null;
        foreach (var (coding, q, _) in Entries(acceptEncoding))
        {
            if (coding is "gzip" or "x-gzip") gzipQ = Math.Max(gzipQ ?? 0, q);
            else if (coding == "*") anyQ = Math.Max(anyQ ?? 0, q);
        }
        return (gzipQ ?? anyQ ?? 0) > 0;
    }

    /// <summary>The comma-separated entries of an Accept-style header: lower-cased name, q (default 1) and version parameter.</summary>
    private static IEnumerable<(string Name, double Q, string? Version)> Entries(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) yield break;
        foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(';', StringSplitOptions.TrimEntries);
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
            yield return (pieces[0].ToLowerInvariant(), q, version);
        }
    }
}
