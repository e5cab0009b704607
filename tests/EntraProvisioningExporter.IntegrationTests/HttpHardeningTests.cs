using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The HTTP surface: optional /metrics protection, TLS through Kestrel configuration, and Kestrel's limits.</summary>
[Collection(RunsAlone.Name)]
public class HttpHardeningTests
{
    [Fact]
    public async Task Bearer_protected_metrics_refuse_without_the_token_and_probes_stay_open()
    {
        await using var host = await ExporterHost.StartAsync(["--demo", "--Exporter:MetricsAuth:Mode", "Bearer",
            "--Exporter:MetricsAuth:BearerToken", "a-long-enough-scrape-token"]);
        await host.WaitReadyAsync();
        var anonymous = await host.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        using var wrong = new HttpRequestMessage(HttpMethod.Get,
            "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "a-long-enough-scrape-tokeX") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.SendAsync(wrong)).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get,
            "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "a-long-enough-scrape-token") } };
        var ok = await host.Http.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("entra_provisioning_job_info{", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Basic_protected_metrics_accept_the_right_credentials_only()
    {
        await using var host = await ExporterHost.StartAsync(["--demo", "--Exporter:MetricsAuth:Mode", "Basic",
            "--Exporter:MetricsAuth:Username", "prometheus", "--Exporter:MetricsAuth:Password", "correct-horse-battery"]);
        await host.WaitReadyAsync();
        HttpRequestMessage With(string user, string password) => new(HttpMethod.Get, "/metrics")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))) },
        };
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.SendAsync(With("prometheus", "wrong-horse-battery"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(With("prometheus", "correct-horse-battery"))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Metrics_are_served_over_TLS_when_Kestrel_is_configured_for_it(string build)
    {
        var dir = Directory.CreateTempSubdirectory("entra-tls-").FullName;
        using var certificate = LoopbackCertificate.Create();
        var pfx = Path.Combine(dir, "metrics.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "pfx-password"));
        var port = Tools.FreePort();
        await using var exporter = ManagedProcess.StartExporter(
        [
            "--demo",
            "--Kestrel:Endpoints:Https:Url", $"https://127.0.0.1:{port}",
            "--Kestrel:Endpoints:Https:Certificate:Path", pfx,
            "--Kestrel:Endpoints:Https:Certificate:Password", "pfx-password",
        ], build: ExporterBuild.Named(build));
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _,
            _) => cert?.Thumbprint == certificate.Thumbprint };
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60),
            "TLS endpoint ready: " + exporter.Describe());
        Assert.Contains("entra_provisioning_job_info{", await http.GetStringAsync("metrics"), StringComparison.Ordinal);
        Assert.DoesNotContain("pfx-password", exporter.StandardOutput + exporter.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_headers_are_refused()
    {
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("X-Padding", new string('a', 40 * 1024));
        var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        var longUrl = await host.Http.GetAsync("/metrics?" + new string('q', 9 * 1024));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longUrl.StatusCode);
    }

    [Fact]
    public async Task A_slowloris_client_is_cut_off_after_the_header_timeout()
    {
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, host.Address.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
        var started = DateTime.UtcNow;
        var buffer = new byte[4096];
        // Trickle a header byte every second, never finishing the request: Kestrel gives up after RequestHeadersTimeout.
        var timeout = EntraProvisioningExporter.Hosting.ServingLimits.RequestHeadersTimeout;
        var closed = false;
        // Kestrel checks the timeout on its one-second heartbeat, the loop looks every second: a few seconds past it at most.
        var within = timeout + TimeSpan.FromSeconds(4);
        while (DateTime.UtcNow - started < within + TimeSpan.FromSeconds(10) && !closed)
        {
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("X"));
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                var read = await stream.ReadAsync(buffer, wait.Token);
                closed = read == 0 || Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 408", StringComparison.Ordinal);
            }
            catch (OperationCanceledException)
            {
                // nothing yet; keep trickling
            }
            catch (IOException)
            {
                closed = true;
            }
        }
        Assert.True(closed, "the server should have dropped the slow client");
        Assert.InRange(DateTime.UtcNow - started, timeout - TimeSpan.FromSeconds(1), within);
    }
}
