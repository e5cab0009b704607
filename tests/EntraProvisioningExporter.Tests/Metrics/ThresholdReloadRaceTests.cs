using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Hosting;
using EntraProvisioningExporter.Sources.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>Reloads racing publications: /metrics and the status page end on the thresholds in force.</summary>
public class ThresholdReloadRaceTests
{
    private static JobState Q(string id, int daysIn, long escrowed) => MetricsHarness.Job(id, "Quarantine") with
    {
        Quarantine = new QuarantineState("EncounteredQuarantineException", null, MetricsHarness.Now.AddDays(-daysIn), null, 1, null),
        LastExecution = new ExecutionState { State = "Succeeded", TimeBegan = MetricsHarness.Now.AddMinutes(-3),
            TimeEnded = MetricsHarness.Now, CountEscrowed = escrowed, CountEscrowedRaw = escrowed, CountExported = 10_000 - escrowed },
    };

    private static ExporterOptions With(int days, long total) => new()
    {
        Quarantine = new QuarantineOptions { DisableAfter = TimeSpan.FromDays(days), TotalFailures = total, NonReferenceFailures = total },
    };

    [Fact]
    public async Task A_reload_storm_racing_publications_ends_with_the_thresholds_in_force_on_metrics_and_the_status_page()
    {
        for (var round = 0; round < 10; round++)
        {
            var h = new MetricsHarness();
            h.Publish(Q("a", 3, 100));
            var stop = false;
            var publisher = new Thread(() =>
            {
                var i = 0;
                while (!Volatile.Read(ref stop)) h.Publish(Q("a", 3, 100 + (i++ % 7)), Q("b", 1, 50));
            });
            var reloader = new Thread(() =>
            {
                for (var i = 0; i < 300; i++)
                {
                    if (i % 3 == 2) h.Runtime.Refuse();
                    else h.Runtime.Accept(With(10 + i % 20, 1_000 + i), h.Runtime.Info);
                }
            });
            publisher.Start();
            reloader.Start();
            reloader.Join();
            Volatile.Write(ref stop, true);
            publisher.Join();
            h.Runtime.Accept(With(17, 12_345), h.Runtime.Info);

            var disable = h.Value("entra_provisioning_job_quarantine_disable_timestamp_seconds", "a");
            var page = new StatusPage(h.Snapshots, h.Runtime, h.Drops, h.Time).Rows().Single(r => r.Job.JobId == "a");
            Assert.Equal(page.DisableAt!.Value.ToUnixTimeSeconds(), disable);
            var proximity = h.Value("entra_provisioning_job_escrow_threshold_proximity", "a", ("threshold", "total_failures"));
            var fresh = new PrometheusExposition(h.Table, h.Snapshots, h.Runtime, h.Time, NullLogger<PrometheusExposition>.Instance);
            using var s = new MemoryStream();
            await fresh.Registry.CollectAndExportAsTextAsync(s);
            var text = System.Text.Encoding.UTF8.GetString(s.ToArray());
            var expected = MetricsText.Parse(text).Single(x => x.Name == "entra_provisioning_job_escrow_threshold_proximity"
                && x.Labels["job_id"] == "a" && x.Labels["threshold"] == "total_failures").Value;
            Assert.Equal(expected, proximity);
        }
    }
}
