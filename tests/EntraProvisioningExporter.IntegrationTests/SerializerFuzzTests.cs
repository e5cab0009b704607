using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The Prometheus serializer fed arbitrary label values and names, its output parsed back by the real promtool.</summary>
public class SerializerFuzzTests
{
    [Fact]
    public async Task Promtool_parses_output_with_arbitrary_label_values()
    {
        var random = new Random(2026);
        string Value()
        {
            var alphabet = new[] { "\"", "\\", "\n", "{", "}", "=", ",", " ", "é", "東京", "💥", "\u0001", "a", "#", "\\n", "\t" };
            return string.Concat(Enumerable.Range(0, random.Next(0, 10)).Select(_ => alphabet[random.Next(alphabet.Length)]));
        }
        var families = Enumerable.Range(0, 40).Select(i => new MetricFamily(
            $"fuzz_family_{i}", "Help with \"quotes\", a \\ backslash and a\nnewline.", i % 3 == 0 ? MetricKind.Counter : MetricKind.Gauge,
            Enumerable.Range(0, 25).Select(j => new Sample([new("a", Value()), new("b", Value()), new("index", j.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                j % 7 == 0 ? double.NaN : j % 11 == 0 ? double.PositiveInfinity : random.NextDouble() * 1e12)).ToList())).ToList();
        // Counters named as instruments are: with _total.
        families = families.Select(f => f.Kind == MetricKind.Counter ? f with { Name = f.Name + "_total" } : f).ToList();
        var text = PrometheusSerializer.ToText(new ExpositionSnapshot(families), ExpositionFormat.PrometheusText004);
        var result = await Promtool.CheckMetricsAsync(Tools.Require("promtool"), text);
        Assert.True(result.Ok, result.Output);
        Assert.Equal(40 * 25, MetricsText.Parse(text).Count);
    }
}
