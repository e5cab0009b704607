using System.Diagnostics;
using System.Diagnostics.Metrics;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Metrics.Collectors;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>
/// OpenTelemetry stores a series once when its tags arrive in ordinal key order and twice otherwise (as given and
/// sorted), which at 10,000 jobs is 53 MB. These tests catch a collector that builds its tags out of order.
/// </summary>
public class TagOrderTests
{
    [Fact]
    public void Every_job_measurement_carries_its_tags_in_ordinal_key_order()
    {
        using var h = new MetricsHarness();
        var began = MetricsHarness.Now.AddDays(-2);
        h.Publish(
            MetricsHarness.Job("q", "Quarantine") with { Quarantine = new QuarantineState("EncounteredSomethingNew", began, began, began.AddHours(6), 3, "X") },
            MetricsHarness.Job("odd", "SomethingGraphInventedToday"),
            MetricsHarness.Job("ok"));

        var measured = new List<(string Instrument, string[] Keys)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (h.Meter.Owns(instrument)) l.EnableMeasurementEvents(instrument); },
        };
        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => measured.Add((i.Name, KeysOf(tags))));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => measured.Add((i.Name, KeysOf(tags))));
        listener.Start();
        listener.RecordObservableInstruments();

        var perJob = measured.Where(m => m.Keys.Contains("job_id")).ToList();
        Assert.Contains(perJob, m => m.Instrument == "entra_provisioning_job_status" && m.Keys.Contains("code"));
        Assert.Contains(perJob, m => m.Instrument == "entra_provisioning_job_quarantine_reason");
        var instruments = perJob.Select(m => m.Instrument).Distinct().Count();
        Assert.True(instruments >= 10, $"only {instruments} per-job instruments measured");
        Assert.All(perJob, m => Assert.Equal(m.Keys.Order(StringComparer.Ordinal), m.Keys));
    }

    [Theory]
    [InlineData("code")]
    [InlineData("zone")]
    [InlineData("reason")]
    [InlineData("a")]
    public void With_inserts_a_label_where_ordinal_order_puts_it(string key)
    {
        var tags = JobInstruments.With(JobInstruments.Identity("t", "sp", "j"), key, "v");

        var keys = KeysOf(tags);
        Assert.Equal(4, keys.Length);
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Contains(tags, t => t.Key == key && (string?)t.Value == "v");
    }

    [Fact]
    public void Log_series_tags_are_in_ordinal_key_order()
    {
        var job = new JobKey("t", "sp", "j");
        Assert.Equal(["action", "job_id", "service_principal_id", "status", "tenant_id"], KeysOf(LogTags.Of(job, "action", "Create", "status", "failure")));
        Assert.Equal(["error_code", "job_id", "service_principal_id", "tenant_id"], KeysOf(LogTags.Of(job, "error_code", "X")));
    }

    private static string[] KeysOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var keys = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++) keys[i] = tags[i].Key;
        return keys;
    }

    private static string[] KeysOf(TagList tags) => [.. tags.Select(t => t.Key)];
}
