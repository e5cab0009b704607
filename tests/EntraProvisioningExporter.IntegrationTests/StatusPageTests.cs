using System.Net;
using System.Text.RegularExpressions;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;
using Xunit.Abstractions;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// The status page at /, rendered by a real headless Chromium (Debian's): a screenshot (its path in the test
/// output, the file under TestResults/) and assertions on the text Chromium rendered.
/// </summary>
public partial class StatusPageTests(ITestOutputHelper output)
{
    /// <summary>Chromium's serialized DOM of a page, and a screenshot of it.</summary>
    private async Task<string> RenderAsync(Uri page, string screenshotName)
    {
        var chromium = Tools.Require("chromium");
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--window-size=1400,1000"];
        var directory = Repo.Path("TestResults");
        Directory.CreateDirectory(directory);
        var screenshot = Path.Combine(directory, screenshotName);
        File.Delete(screenshot);
        await using (var shot = ManagedProcess.Start(chromium, [.. common, $"--screenshot={screenshot}", page.ToString()]))
            Assert.True(await shot.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, shot.Describe());
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.True(png.Length > 10_000 && png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }),
            $"{screenshot} is not a rendered PNG ({png.Length} bytes)");
        output.WriteLine($"screenshot: {screenshot} ({png.Length} bytes)");

        await using var dump = ManagedProcess.Start(chromium, [.. common, "--dump-dom", page.ToString()]);
        Assert.True(await dump.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, dump.Describe());
        return dump.StandardOutput;
    }

    /// <summary>The text of each row of a table of the rendered DOM, cells joined by " | ".</summary>
    private static List<string> Rows(string dom, string table) =>
        Row().Matches(Table(table).Match(dom).Value)
            .Select(m => string.Join(" | ",
            Cell().Matches(m.Value).Select(c => WebUtility.HtmlDecode(Tag().Replace(c.Groups[1].Value, "")))))
            .ToList();

    private static Regex Table(string id) => new($"<table id=\"{id}\">.*?</table>", RegexOptions.Singleline);

    [GeneratedRegex("<tr>.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex Row();

    [GeneratedRegex("<t[dh][^>]*>(.*?)</t[dh]>", RegexOptions.Singleline)]
    private static partial Regex Cell();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();

    [Fact]
    public async Task The_demo_page_shows_sources_and_jobs_worst_first_with_links_to_the_metrics()
    {
        await using var exporter = await ExporterHost.StartAsync(["--demo"]);
        await exporter.WaitReadyAsync();
        var dom = await RenderAsync(exporter.Address, "status-page-demo.png");

        Assert.Contains("<a href=\"metrics\">/metrics</a>", dom, StringComparison.Ordinal);
        var sources = Rows(dom, "sources");
        Assert.Equal(["tenant | source | state | last success | last error | cycles | objects dropped", "demo | graph_jobs | up",
            "demo | loganalytics | up"],
            sources.Select(r => r.Split(" | ").Length == 7 && r.StartsWith("demo", StringComparison.Ordinal)
                ? string.Join(" | ", r.Split(" | ")[..3]) : r));
        // cycles done; the demo drops nothing
        Assert.All(sources.Skip(1), r => Assert.Matches(@"\| \d+ seconds ago \|  \| [1-9]\d* \| 0$", r));

        var jobs = Rows(dom, "jobs");
        Assert.Equal("app | tenant | status | quarantine | disabled in | escrow proximity | deletion proximity | last activity", jobs[0]);
        Assert.Equal(Demo.Jobs + 1, jobs.Count);
        // Worst first: the quarantined app, with its reason and the days left before Microsoft disables it.
        Assert.Matches(@"^Dropbox Business \| demo \| Quarantine \| EncounteredQuarantineException \| 3(\.\d)? "
            + @"days \| 0% \|  \| \d+ hours ago$", jobs[1]);
        // Then the nearest to a threshold: Salesforce's escrow climbs towards quarantine.
        Assert.Matches(@"^Salesforce \| demo \| Active \|  \|  \| \d+% \|", jobs[2]);
        // Jobs that never ran come last.
        Assert.EndsWith("| never", jobs[^1], StringComparison.Ordinal);
        Assert.Contains(jobs, r => r.StartsWith("Google Workspace | demo | Active", StringComparison.Ordinal)
            && Regex.IsMatch(r, @"\| \d+% \| \d+% \|"));
    }

    [Fact]
    public async Task Names_from_the_tenant_are_escaped_and_never_run_as_markup()
    {
        const string evil = "<img src=x onerror=alert(1)>Evil & \"Co\" <script>document.title='pwned'</script>";
        // Real time: one cycle is enough and nothing here waits on a timer; the fake clock would add nothing.
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        var tenantId = SimulatedTenant.StableGuid("status-page-escaping");
        var tenant = new SimulatedTenant(tenantId, time.GetUtcNow(),
        [
            new SimulatedServicePrincipal(SimulatedTenant.StableGuid("evil-sp"), SimulatedTenant.StableGuid("evil-app"), evil,
                [new SimulatedJob(SimulatedTenant.JobId("scim", "evil"), "scim", (_, _) => new JobView { Code = "<b>Active</b>" })]),
        ]);
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        await using var exporter = await ExporterHost.StartAsync(
        [
            "--Exporter:Tenants:0:TenantId", tenantId,
            "--Exporter:Tenants:0:Name", "<i>Contoso</i>",
            "--Exporter:Tenants:0:GraphEndpoint", simulator.GraphEndpoint(tenantId).ToString(),
            "--Exporter:Tenants:0:Credential:Kind", "None",
        ], time);
        await exporter.WaitReadyAsync();
        var dom = await RenderAsync(exporter.Address, "status-page-escaping.png");

        Assert.Contains("<title>Entra Provisioning Exporter</title>", dom, StringComparison.Ordinal); // no script retitled it
        Assert.DoesNotContain("<img", dom, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>", dom, StringComparison.Ordinal);
        var job = Assert.Single(Rows(dom, "jobs").Skip(1));
        Assert.StartsWith($"{evil} | <i>Contoso</i> | <b>Active</b> |", job, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_is_protected_like_the_metrics_when_auth_is_on()
    {
        await using var exporter = await ExporterHost.StartAsync(["--demo", "--Exporter:MetricsAuth:Mode", "Bearer",
            "--Exporter:MetricsAuth:BearerToken", "status-page-token-3c1f"]);
        await exporter.WaitReadyAsync();
        using var http = new HttpClient { BaseAddress = exporter.Address };
        var anonymous = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.DoesNotContain("Dropbox", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        http.DefaultRequestHeaders.Authorization = new("Bearer", "status-page-token-3c1f");
        var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal("default-src 'none'; style-src 'unsafe-inline'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("Dropbox Business", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
