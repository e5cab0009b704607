using EntraProvisioningExporter.Exposition;
using Microsoft.Extensions.DependencyInjection;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The process as users start it: bad configuration is listed by key with a non-zero exit and no stack trace; --demo says where /metrics is.</summary>
public class StartupTests
{
    [Fact]
    public async Task Invalid_configuration_lists_every_error_by_key_and_exits_2_without_a_stack_trace()
    {
        await using var p = ManagedProcess.StartExporter(
        [
            "--Exporter:PollInterval", "-00:00:05",
            "--Exporter:Tenants:0:TenantId", "contoso.onmicrosoft.com",
            "--Exporter:Tenants:0:Credential:Kind", "Password",
            "--Exporter:Tenants:1:TenantId", "11111111-2222-3333-4444-555555555555",
            "--Exporter:Tenants:1:GraphEndpoint", "https://graph.example.com/v1.0",
        ]);
        var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        var err = p.StandardError;
        Assert.Contains("Configuration is invalid:", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:PollInterval: must be a positive duration", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:Tenants:0:TenantId: 'contoso.onmicrosoft.com' is not a GUID", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:Tenants:0:Credential:Kind: 'Password' is not a known credential kind", err, StringComparison.Ordinal);
        Assert.Contains("Exporter:Tenants:1:GraphEndpoint: tokens are only sent over HTTPS to a Microsoft Graph host", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.StandardOutput + err, StringComparison.Ordinal);
    }

    private const string Tenant = "11111111-2222-3333-4444-555555555555";

    public static TheoryData<string, string[], string> BadConfigurations => new()
    {
        { "missing tenant id", ["--Exporter:Tenants:0:Name", "contoso"], "Exporter:Tenants:0:TenantId: is required" },
        { "bad GUID", ["--Exporter:Tenants:0:TenantId", "1234-not-a-guid"], "Exporter:Tenants:0:TenantId: '1234-not-a-guid' is not a GUID" },
        { "bad URL", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Tenants:0:GraphEndpoint", "graph dot microsoft"], "Exporter:Tenants:0:GraphEndpoint: 'graph dot microsoft' is not an absolute URL" },
        { "token to a non-Microsoft host", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Tenants:0:GraphEndpoint", "https://graph.evil.example/v1.0"], "Exporter:Tenants:0:GraphEndpoint: tokens are only sent over HTTPS to a Microsoft Graph host" },
        { "negative interval", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:PollInterval", "-00:01:00"], "Exporter:PollInterval: must be a positive duration" },
        { "zero interval", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:PollInterval", "00:00:00"], "Exporter:PollInterval: must be a positive duration" },
        { "window shorter than the interval", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Logs:Window", "00:00:30"], "Exporter:Logs:Window: must be at least Exporter:PollInterval" },
        { "invalid custom query name", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Tenants:0:Logs:Source", "LogAnalytics", "--Exporter:Tenants:0:Logs:WorkspaceId", Tenant, "--Exporter:Tenants:0:Logs:CustomQueries:0:Name", "failures-by-app", "--Exporter:Tenants:0:Logs:CustomQueries:0:Query", "T | count", "--Exporter:Tenants:0:Logs:CustomQueries:0:ValueColumn", "Count"], "Exporter:Tenants:0:Logs:CustomQueries:0:Name: 'failures-by-app' is not a valid Prometheus metric name" },
        { "unknown credential kind", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:Tenants:0:Credential:Kind", "Kerberos"], "Exporter:Tenants:0:Credential:Kind: 'Kerberos' is not a known credential kind" },
        { "metrics token too short", ["--Exporter:Tenants:0:TenantId", Tenant, "--Exporter:MetricsAuth:Mode", "Bearer", "--Exporter:MetricsAuth:BearerToken", "tiny-secret"], "Exporter:MetricsAuth:BearerToken: is required for Mode=Bearer and must be at least 16 characters" },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task Bad_configuration_fails_start_up_naming_the_key(string _, string[] args, string expected)
    {
        await using var p = ManagedProcess.StartExporter(args);
        Assert.Equal(2, await p.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(expected, p.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
        // A rejected secret is named by its key, never echoed.
        Assert.DoesNotContain("tiny-secret", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_names_its_key()
    {
        await using var p = ManagedProcess.StartExporter(["--Exporter:PollInterval", "every minute", "--Exporter:Tenants:0:TenantId", "11111111-2222-3333-4444-555555555555"]);
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
        Assert.Contains("Exporter:Tenants:0:Logs:CustomQueries:0:Name: 'entra_provisioning_failures' clashes with the exporter's built-in metrics", p.StandardError, StringComparison.Ordinal);
        Assert.Contains("Exporter:Tenants:0:Logs:CustomQueries:1 ('contoso_failures'):Query: is required", p.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.StandardOutput + p.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_tenant_configured_says_how_to_try_the_demo()
    {
        await using var p = ManagedProcess.StartExporter([]);
        Assert.Equal(2, await p.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Exporter:Tenants: at least one tenant is required (or start with --demo", p.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_mode_prints_where_metrics_are_and_serves_them()
    {
        var port = Tools.FreePort();
        await using var p = ManagedProcess.StartExporter(["--demo", "--urls", $"http://127.0.0.1:{port}"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "demo to be ready: " + p.Describe());
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
        await using var gz = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        Assert.Contains("entra_provisioning_job_info{", await reader.ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrapes_between_polls_reuse_the_rendered_job_series_and_collect_only_the_live_ones()
    {
        await using var host = await ExporterHost.StartAsync(["--demo", "--Exporter:PollInterval", "01:00:00"]);
        await host.WaitReadyAsync();
        var cache = host.App.Services.GetRequiredService<PolledFamiliesCache>();
        var jobs = host.App.Services.GetRequiredService<EntraProvisioningExporter.Sources.JobSnapshotStore>();

        var plain = await host.MetricsAsync();
        var gzip = await GzipScrapeAsync(host);
        var rendered = cache.Renders;
        var plainAgain = await host.MetricsAsync();
        var gzipAgain = await GzipScrapeAsync(host);
        Assert.Equal(rendered, cache.Renders); // nothing was published: no collection of the 44 series per job

        // Same body whichever way it travels, polled families first, then the live ones collected per scrape.
        Assert.Equal(Polled(plain), Polled(gzip));
        Assert.Equal(Polled(plain), Polled(plainAgain));
        Assert.Equal(Polled(plain), Polled(gzipAgain));
        Assert.Contains("entra_provisioning_job_quarantined{", Polled(plain), StringComparison.Ordinal);
        var lines = plainAgain.Split('\n');
        Assert.True(Array.FindLastIndex(lines, l => l.StartsWith("entra_provisioning_job_info{", StringComparison.Ordinal))
            < Array.FindIndex(lines, l => l.StartsWith("entra_exporter_source_up{", StringComparison.Ordinal)));
        Assert.Contains("entra_provisioning_job_last_activity_age_seconds{", plainAgain, StringComparison.Ordinal);

        // A new snapshot is in the very next scrape, rendered by the scrape itself if the renderer has not yet.
        var tenant = jobs.All.First();
        jobs.Publish(tenant with { Jobs = tenant.Jobs.Skip(1).ToList() });
        var after = await GzipScrapeAsync(host);
        Assert.True(cache.Renders > rendered);
        var gone = tenant.Jobs[0].JobId;
        Assert.Contains($"job_id=\"{gone}\"", plain, StringComparison.Ordinal);
        Assert.DoesNotContain($"entra_provisioning_job_info{{job_id=\"{gone}\"", after, StringComparison.Ordinal);
    }

    private static async Task<string> GzipScrapeAsync(ExporterHost host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await host.Http.SendAsync(request);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        await using var gz = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The job and log families: every line of a family named entra_provisioning_* except the live ages.</summary>
    private static string Polled(string body) => string.Join('\n', body.Split('\n')
        .Where(l => l.Contains("entra_provisioning_", StringComparison.Ordinal) && !l.Contains("_age_seconds", StringComparison.Ordinal)));
}
