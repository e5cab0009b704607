using EntraProvisioningExporter.Exposition;

namespace EntraProvisioningExporter.Tests.Exposition;

public class PrometheusSerializerTests
{
    private static KeyValuePair<string, string>[] L(params (string K, string V)[] labels) => labels.Select(l => new KeyValuePair<string, string>(l.K, l.V)).ToArray();

    private static string Text(MetricFamily family, ExpositionFormat format = ExpositionFormat.PrometheusText004) =>
        PrometheusSerializer.ToText(new ExpositionSnapshot([family]), format);

    [Fact]
    public void Gauge_in_text_format()
    {
        var text = Text(new MetricFamily("up_gauge", "Help text.", MetricKind.Gauge, [new Sample(L(("a", "x"), ("b", "y")), 1.5), new Sample([], 2)]));
        Assert.Equal("# HELP up_gauge Help text.\n# TYPE up_gauge gauge\nup_gauge{a=\"x\",b=\"y\"} 1.5\nup_gauge 2\n", text);
    }

    [Fact]
    public void Label_values_escape_backslash_quote_and_newline()
    {
        var text = Text(new MetricFamily("g", "h", MetricKind.Gauge, [new Sample(L(("v", "a\\b\"c\nd")), 1)]));
        Assert.Contains("g{v=\"a\\\\b\\\"c\\nd\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_escapes_backslash_and_newline_and_in_OpenMetrics_also_quotes()
    {
        var family = new MetricFamily("g", "say \"hi\"\\\nnext", MetricKind.Gauge, [new Sample([], 1)]);
        Assert.StartsWith("# HELP g say \"hi\"\\\\\\nnext\n", Text(family), StringComparison.Ordinal);
        Assert.StartsWith("# HELP g say \\\"hi\\\"\\\\\\nnext\n", Text(family, ExpositionFormat.OpenMetrics100), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e21, "1E+21")]
    [InlineData(-3, "-3")]
    [InlineData(1795573961.5, "1795573961.5")]
    public void Special_and_ordinary_numbers(double value, string expected)
    {
        Assert.EndsWith($"g {expected}\n", Text(new MetricFamily("g", "h", MetricKind.Gauge, [new Sample([], value)])), StringComparison.Ordinal);
    }

    [Fact]
    public void Counter_naming_differs_between_text_and_OpenMetrics()
    {
        var family = new MetricFamily("requests_total", "Requests.", MetricKind.Counter, [new Sample(L(("code", "200")), 7)]);
        Assert.Equal("# HELP requests_total Requests.\n# TYPE requests_total counter\nrequests_total{code=\"200\"} 7\n", Text(family));
        Assert.Equal("# HELP requests Requests.\n# TYPE requests counter\nrequests_total{code=\"200\"} 7\n# EOF\n", Text(family, ExpositionFormat.OpenMetrics100));
    }

    [Fact]
    public void A_counter_without_total_gets_it_on_its_samples()
    {
        var family = new MetricFamily("events", "E.", MetricKind.Counter, [new Sample([], 1)]);
        Assert.Contains("\nevents_total 1\n", Text(family), StringComparison.Ordinal);
        Assert.Contains("# TYPE events counter\nevents_total 1\n", Text(family, ExpositionFormat.OpenMetrics100), StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_has_cumulative_buckets_ending_in_Inf_then_sum_and_count()
    {
        var h = new HistogramValue([0.5, 1], [1, 3, 4], 4.25, 4);
        var text = Text(new MetricFamily("d_seconds", "D.", MetricKind.Histogram, [new Sample(L(("s", "x")), 0, h)]));
        Assert.Equal(
            "# HELP d_seconds D.\n# TYPE d_seconds histogram\n" +
            "d_seconds_bucket{s=\"x\",le=\"0.5\"} 1\nd_seconds_bucket{s=\"x\",le=\"1\"} 3\nd_seconds_bucket{s=\"x\",le=\"+Inf\"} 4\n" +
            "d_seconds_sum{s=\"x\"} 4.25\nd_seconds_count{s=\"x\"} 4\n", text);
    }

    [Fact]
    public void OpenMetrics_ends_with_EOF_and_text_does_not()
    {
        var snapshot = new ExpositionSnapshot([new MetricFamily("g", "h", MetricKind.Gauge, [new Sample([], 1)])]);
        Assert.EndsWith("\n# EOF\n", PrometheusSerializer.ToText(snapshot, ExpositionFormat.OpenMetrics100), StringComparison.Ordinal);
        Assert.DoesNotContain("EOF", PrometheusSerializer.ToText(snapshot, ExpositionFormat.PrometheusText004), StringComparison.Ordinal);
        Assert.Equal("# EOF\n", PrometheusSerializer.ToText(new ExpositionSnapshot([]), ExpositionFormat.OpenMetrics100));
    }

    [Fact]
    public void Families_without_samples_are_not_written()
    {
        Assert.Equal("", Text(new MetricFamily("g", "h", MetricKind.Gauge, [])));
    }

    [Theory]
    [InlineData("ok_name:sub", true, "ok_name:sub")]
    [InlineData("ok_name:sub", false, "ok_name_sub")]
    [InlineData("9starts.with-digit", true, "_starts_with_digit")]
    [InlineData("", true, "_")]
    [InlineData("ünï", false, "_n_")]
    public void Names_are_made_valid(string name, bool allowColon, string expected)
    {
        Assert.Equal(expected, PrometheusSerializer.SanitizeName(name, allowColon));
    }

    [Fact]
    public void Unicode_label_values_are_written_as_UTF8()
    {
        var text = Text(new MetricFamily("g", "h", MetricKind.Gauge, [new Sample(L(("app", "Zoë – 東京")), 1)]));
        Assert.Contains("g{app=\"Zoë – 東京\"} 1", text, StringComparison.Ordinal);
    }
}
