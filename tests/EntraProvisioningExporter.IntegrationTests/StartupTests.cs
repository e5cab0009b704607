using Microsoft.Extensions.DependencyInjection;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// The process as users start it, in both builds (the JIT's IL build and the shipped native AOT binary): bad
/// configuration is listed by key with a non-zero exit and no stack trace; --demo says where /metrics is.
/// </summary>
public class StartupTests
{
    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Invalid_configuration_lists_every_error_by_key_and_exits_2_without_a_stack_trace(string build)
    {
        await using var p = ManagedProcess.StartExporter(
        [
            "--Exporter:PollInterval", "-00:00:05",
            "--Exporter:Tenants:0:TenantId", "contoso.onmicrosoft.com",
            "--Exporter:Tenants:0:Credential:Kind", "Password",
            "--Exporter:Tenants:1:TenantId", "11111111-2222-3333-4444-555555555555",
            "--Exporter:Tenants:1:GraphEndpoint", "https://graph.example.com/v1.0",
        ], build: ExporterBuild.Named(build));
        var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        var err = p.StandardError;
        Assert.Contains("Configuration is invalid:", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:PollInterval: must be a positive duration", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:Tenants:0:TenantId: 'contoso.onmicrosoft.com' is not a GUID", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:Tenants:0:Credential:Kind: 'Password' is not a known credential kind", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:Tenants:1:GraphEndpoint: tokens are only sent over HTTPS to a Microsoft Graph host", err,
            StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.StandardOutput + err, StringComparison.Ordinal);
    }

    private const string Tenant = "11111111-2222-3333-4444-555555555555";

    /// <summary>Every row in each build: the AOT binary binds configuration through the source generator, not reflection.</summary>
    public static TheoryData<string, string, string[], string> BadConfigurations
    {
        get
        {
            var data = new TheoryData<string, string, string[], string>();
            foreach (var build in ExporterBuild.All)
                foreach (var (name, args, expected) in BadConfigurationRows) data.Add(build.Name, name, args, expected);
            return data;
        }
    }

    private static readonly (string Name, string[] Args, string Expected)[] BadConfigurationRows =
    [
        ("missing tenant id", ["--Exporter:Tenants:0:Name", "contoso"], "Exporter:Tenants:0:TenantId: is required"),
        ("bad GUID", ["--Exporter:Tenants:0:TenantId", "1234-not-a-guid"], "Exporter:Tenants:0:TenantId: '1234-not-a-guid' is not a GUID"),
        ("bad URL", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Tenants:0:GraphEndpoint", "graph dot microsoft"],
            "Exporter:Tenants:0:GraphEndpoint: 'graph dot microsoft' is not an absolute URL"),
        ("token to a non-Microsoft host",
            ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Tenants:0:GraphEndpoint", "https://graph.evil.example/v1.0"],
            "Exporter:Tenants:0:GraphEndpoint: tokens are only sent over HTTPS to a Microsoft Graph host"),
        ("negative interval", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:PollInterval", "-00:01:00"],
            "Exporter:PollInterval: must be a positive duration"),
        ("zero interval", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:PollInterval", "00:00:00"],
            "Exporter:PollInterval: must be a positive duration"),
        ("window shorter than the interval", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Logs:Window", "00:00:30"],
            "Exporter:Logs:Window: must be at least Exporter:PollInterval"),
        ("invalid custom query name",
            ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Tenants:0:Logs:Source", "LogAnalytics",
            "--Exporter:Tenants:0:Logs:WorkspaceId", Tenant, "--Exporter:Tenants:0:Logs:CustomQueries:0:Name", "failures-by-app",
            "--Exporter:Tenants:0:Logs:CustomQueries:0:Query", "T | count", "--Exporter:Tenants:0:Logs:CustomQueries:0:ValueColumn",
            "Count"], "Exporter:Tenants:0:Logs:CustomQueries:0:Name: 'failures-by-app' is not a valid Prometheus metric name"),
        ("unknown credential kind", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Tenants:0:Credential:Kind", "Kerberos"],
            "Exporter:Tenants:0:Credential:Kind: 'Kerberos' is not a known credential kind"),
        ("metrics token too short",
            ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:MetricsAuth:Mode", "Bearer", "--Exporter:MetricsAuth:BearerToken",
            "tiny-secret"], "Exporter:MetricsAuth:BearerToken: is required for Mode=Bearer and must be at least 16 characters"),
    ];

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task Bad_configuration_fails_start_up_naming_the_key(string build, string _, string[] args, string expected)
    {
        await using var p = ManagedProcess.StartExporter(args, build: ExporterBuild.Named(build));
        Assert.Equal(2, await p.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(expected, p.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
        // A rejected secret is named by its key, never echoed.
        Assert.DoesNotContain("tiny-secret", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task A_value_of_the_wrong_type_names_its_key(string build)
    {
        await using var p = ManagedProcess.StartExporter(["--Exporter:PollInterval", "every minute", "--Exporter:Tenants:0:TenantId",
            "11111111-2222-3333-4444-555555555555"], build: ExporterBuild.Named(build));
        Assert.Equal(2, await p.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Exporter:PollInterval", p.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_custom_query_fails_start_up_naming_the_query()
    {
        await using var p = ManagedProcess.StartExporter(
        [
            "--Exporter:Tenants:0:TenantId", "11111111-2222-3333-4444-555555555555",
            "--Exporter:Tenants:0:Logs:Source", "LogAnalytics",
            "--Exporter:Tenants:0:Logs:WorkspaceId", "22222222-2222-3333-4444-555555555555",
            "--Exporter:Tenants:0:Logs:CustomQueries:0:Name", "entra_provisioning_failures",
            "--Exporter:Tenants:0:Logs:CustomQueries:0:Query", "AADProvisioningLogs | count",
            "--Exporter:Tenants:0:Logs:CustomQueries:0:ValueColumn", "Count",
            "--Exporter:Tenants:0:Logs:CustomQueries:1:Name", "contoso_failures",
            "--Exporter:Tenants:0:Logs:CustomQueries:1:ValueColumn", "Count",
        ]);
        Assert.Equal(2, await p.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Exporter:Tenants:0:Logs:CustomQueries:0:Name: 'entra_provisioning_failures' clashes with "
            + "the exporter's built-in metrics", p.StandardError, StringComparison.Ordinal);
        Assert.Contains("Exporter:Tenants:0:Logs:CustomQueries:1 ('contoso_failures'):Query: is required", p.StandardError,
            StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_tenant_configured_says_how_to_try_the_demo()
    {
        await using var p = ManagedProcess.StartExporter([]);
        Assert.Equal(2, await p.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Exporter:Tenants: at least one tenant is required (or start with --demo", p.StandardError,
            StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Demo_mode_prints_where_metrics_are_and_serves_them(string build)
    {
        var port = Tools.FreePort();
        await using var p = ManagedProcess.StartExporter(["--demo", "--urls", $"http://127.0.0.1:{port}"],
            build: ExporterBuild.Named(build));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60),
            "demo to be ready: " + p.Describe());
        Assert.Contains($"Serving metrics at http://127.0.0.1:{port}/metrics", p.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("Healthy", await http.GetStringAsync("healthz"));
        Assert.Contains("/metrics", await http.GetStringAsync(""), StringComparison.Ordinal);
        var metrics = await http.GetAsync("metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType!.ToString());
        Assert.Contains("entra_provisioning_job_quarantined{", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_gzip_compressed_when_the_scraper_accepts_it()
    {
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        await host.WaitReadyAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await host.Http.SendAsync(request);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        await using var gz = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(),
            System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        Assert.Contains("entra_provisioning_job_info{", await reader.ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_published_snapshot_is_in_the_very_next_scrape()
    {
        await using var host = await ExporterHost.StartAsync(["--demo", "--Exporter:PollInterval", "01:00:00"]);
        await host.WaitReadyAsync();
        var snapshots = host.App.Services.GetRequiredService<EntraProvisioningExporter.Sources.TenantSnapshotStore>();
        var plain = await host.MetricsAsync();
        Assert.Equal(plain.Split('\n').Count(l => l.StartsWith("entra_provisioning_job_info{", StringComparison.Ordinal)),
            (await GzipScrapeAsync(host)).Split('\n').Count(l => l.StartsWith("entra_provisioning_job_info{", StringComparison.Ordinal)));

        var tenant = snapshots.All.First().Jobs!;
        var gone = tenant.Jobs[0].JobId;
        Assert.Contains($"job_id=\"{gone}\"", plain, StringComparison.Ordinal);
        snapshots.PublishJobs(tenant with { Jobs = tenant.Jobs.Skip(1).ToList() });
        // Every job-status series of the job is gone (its log series stay: the logs still know it).
        var after = (await GzipScrapeAsync(host)).Split('\n');
        Assert.DoesNotContain(after,
            l => l.StartsWith("entra_provisioning_job_", StringComparison.Ordinal)
            && l.Contains($"job_id=\"{gone}\"", StringComparison.Ordinal));
        Assert.Equal(tenant.Jobs.Count - 1, after.Count(l => l.StartsWith("entra_provisioning_job_info{", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_format_is_negotiated_as_Prometheus_asks_for_it()
    {
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        await host.WaitReadyAsync();
        // What Prometheus 2.42 sends: OpenMetrics 1.0.0 first.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.TryAddWithoutValidation("Accept",
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        using var openMetrics = await host.Http.SendAsync(request);
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", openMetrics.Content.Headers.ContentType!.ToString());
        var om = await openMetrics.Content.ReadAsStringAsync();
        Assert.EndsWith("# EOF\n", om, StringComparison.Ordinal);
        Assert.Contains("# TYPE entra_exporter_poll_errors counter\n", om, StringComparison.Ordinal);
        Assert.Contains("\nentra_exporter_poll_errors_total{", om, StringComparison.Ordinal);

        using var text = await host.Http.GetAsync("/metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", text.Content.Headers.ContentType!.ToString());
        var body = await text.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE entra_exporter_poll_errors_total counter\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip, deflate, br", true)]
    [InlineData("*", true)]
    [InlineData("gzip;q=0", false)]
    [InlineData("identity", false)]
    public async Task Gzip_is_used_exactly_when_the_scraper_accepts_it(string acceptEncoding, bool gzip)
    {
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        await host.WaitReadyAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(gzip, response.Content.Headers.ContentEncoding.Contains("gzip"));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var body = gzip
            ? await new StreamReader(new System.IO.Compression.GZipStream(new MemoryStream(bytes),
            System.IO.Compression.CompressionMode.Decompress)).ReadToEndAsync()
            : System.Text.Encoding.UTF8.GetString(bytes);
        Assert.Contains("entra_provisioning_job_info{", body, StringComparison.Ordinal);
    }

    private static async Task<string> GzipScrapeAsync(ExporterHost host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await host.Http.SendAsync(request);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        await using var gz = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(),
            System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        return await reader.ReadToEndAsync();
    }
}
