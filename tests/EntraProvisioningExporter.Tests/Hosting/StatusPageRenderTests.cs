using System.Text.RegularExpressions;
using EntraProvisioningExporter.Hosting;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Tests.Metrics;

namespace EntraProvisioningExporter.Tests.Hosting;

public class StatusPageRenderTests
{
    private static StatusPage Page(MetricsHarness h) => new(h.Snapshots, h.Runtime, h.Drops, h.Time);

    [Fact]
    public void Jobs_are_ordered_quarantined_soonest_disabled_first_then_nearest_a_threshold_then_longest_idle()
    {
        var h = new MetricsHarness();
        var now = MetricsHarness.Now;
        JobState Quarantined(string id, int daysIn) => MetricsHarness.Job(id, "Quarantine") with
        {
            Quarantine = new QuarantineState("EncounteredQuarantineException", null, now.AddDays(-daysIn), null, 1, null),
        };
        JobState Ran(string id, TimeSpan ago, long escrowed = 0) => MetricsHarness.Job(id) with
        {
            LastExecution = new ExecutionState { State = "Succeeded", TimeBegan = now - ago - TimeSpan.FromMinutes(2),
                TimeEnded = now - ago, CountEscrowed = escrowed, CountExported = 10_000 - escrowed },
        };
        h.Publish(Ran("idle-2h", TimeSpan.FromHours(2)), Quarantined("q-10d", 10),
            Ran("escrow-90", TimeSpan.FromMinutes(5), escrowed: 3_600),
            Quarantined("q-25d", 25), Ran("idle-5m", TimeSpan.FromMinutes(5)), Ran("escrow-50", TimeSpan.FromMinutes(5), escrowed: 2_000));
        Assert.Equal(["q-25d", "q-10d", "escrow-90", "escrow-50", "idle-2h", "idle-5m"], Page(h).Rows().Select(r => r.Job.JobId));
    }

    [Fact]
    public void At_ten_thousand_jobs_the_page_shows_the_worst_hundred_and_stays_small()
    {
        var h = new MetricsHarness();
        h.Publish([.. Enumerable.Range(0, 10_000).Select(i => MetricsHarness.Job($"scim.{i}.a", i == 7_777 ? "Quarantine" : "Active"))]);
        var html = Page(h).Render(StatusPage.DefaultRows);
        var jobsTable = Regex.Match(html, "<table id=\"jobs\">.*?</table>", RegexOptions.Singleline).Value;
        Assert.Equal(StatusPage.DefaultRows + 1, Regex.Matches(jobsTable, "<tr>").Count);
        Assert.Contains("Showing 100 of 10000 jobs", html, StringComparison.Ordinal);
        Assert.Contains("title=\"scim.7777.a\"", Regex.Matches(jobsTable, "<tr>.*?</tr>", RegexOptions.Singleline)[1].Value,
            StringComparison.Ordinal);
        Assert.True(html.Length < 64 * 1024, $"{html.Length} characters");
        // More rows on request, never more than the cap.
        Assert.Equal(StatusPage.MaxRows + 1, Regex.Matches(Page(h).Render(50_000), "<tr>").Count - 1); // minus the sources header row
    }
}
