using System.Net;
using System.Net.Sockets;
using System.Text;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// Every method on every endpoint, sent as raw HTTP/1.1 so that what comes back is seen byte for byte: GET answers,
/// HEAD answers as GET does with no body, any other method is 405 with Allow and nothing of the endpoint's.
/// </summary>
public class HttpMethodTests(HttpMethodTests.ReadyDemo demo) : IClassFixture<HttpMethodTests.ReadyDemo>
{
    private const string Token = "a-long-enough-scrape-token";

    /// <summary>The demo exporter, ready, shared by the rows.</summary>
    public sealed class ReadyDemo : IAsyncLifetime
    {
        public ExporterHost Host { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Host = await ExporterHost.StartAsync(["--demo"]);
            await Host.WaitReadyAsync();
        }

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    /// <summary>Each endpoint and something its GET body always holds.</summary>
    private static readonly Dictionary<string, string> Endpoints = new()
    {
        ["/metrics"] = "entra_provisioning_job_info{",
        ["/"] = "<html",
        ["/healthz"] = "Healthy",
        ["/readyz"] = "Healthy",
    };

    public static TheoryData<string, string> Rows()
    {
        var rows = new TheoryData<string, string>();
        foreach (var path in Endpoints.Keys)
            foreach (var method in (string[])["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
                rows.Add(method, path);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Each_endpoint_answers_GET_and_HEAD_and_refuses_every_other_method(string method, string path)
    {
        var get = await RawHttp.SendAsync(demo.Host.Address, "GET", path);
        Assert.Equal(200, get.Status);
        Assert.Contains(Endpoints[path], get.Body, StringComparison.Ordinal);
        var response = await RawHttp.SendAsync(demo.Host.Address, method, path);
        switch (method)
        {
            case "GET":
                break;
            case "HEAD":
                Assert.Equal(get.Status, response.Status);
                Assert.Equal(get.Header("Content-Type"), response.Header("Content-Type"));
                Assert.Equal("", response.Body);
                break;
            default:
                Assert.Equal(405, response.Status);
                Assert.Equal("GET, HEAD", response.Header("Allow"));
                Assert.DoesNotContain(Endpoints[path], response.Body, StringComparison.Ordinal);
                break;
        }
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/")]
    public async Task HEAD_is_protected_like_GET_when_MetricsAuth_is_on(string path)
    {
        await using var host = await ExporterHost.StartAsync(
            ["--demo", "--Exporter:MetricsAuth:Mode", "Bearer", "--Exporter:MetricsAuth:BearerToken", Token]);
        await host.WaitReadyAsync();
        var anonymous = await RawHttp.SendAsync(host.Address, "HEAD", path);
        Assert.Equal(401, anonymous.Status);
        Assert.StartsWith("Bearer", anonymous.Header("WWW-Authenticate"), StringComparison.Ordinal);
        Assert.Equal(401, (await RawHttp.SendAsync(host.Address, "HEAD", path, "Bearer not-the-scrape-token-at-all")).Status);
        var authorized = await RawHttp.SendAsync(host.Address, "HEAD", path, "Bearer " + Token);
        Assert.Equal(200, authorized.Status);
        Assert.Equal("", authorized.Body);
        // The probes stay open to HEAD as to GET.
        Assert.Equal(200, (await RawHttp.SendAsync(host.Address, "HEAD", "/healthz")).Status);
        // Another method is refused for what it is, whoever asks: nothing of the endpoint's is served.
        var post = await RawHttp.SendAsync(host.Address, "POST", path);
        Assert.Equal(405, post.Status);
        Assert.Equal("", post.Body);
    }

    /// <summary>One request on a connection of its own (Connection: close), its response read to the end as bytes.</summary>
    private static class RawHttp
    {
        public sealed record Response(int Status, IReadOnlyList<(string Name, string Value)> Headers, string Body)
        {
            public string? Header(string name) =>
                Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).SingleOrDefault();
        }

        public static async Task<Response> SendAsync(Uri address, string method, string path, string? authorization = null)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, address.Port);
            var stream = client.GetStream();
            var request = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
            if (method is "POST" or "PUT" or "PATCH") request.Append("Content-Length: 0\r\n");
            if (authorization is not null) request.Append($"Authorization: {authorization}\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()));
            using var read = new MemoryStream();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await stream.CopyToAsync(read, timeout.Token);
            var text = Encoding.UTF8.GetString(read.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            Assert.True(end > 0, $"no end of headers in: {text}");
            var lines = text[..end].Split("\r\n");
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => (p[0], p[1].Trim())).ToList();
            var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            var response = new Response(status, headers, text[(end + 4)..]);
            var chunked = response.Header("Transfer-Encoding") == "chunked" && response.Body.Length > 0;
            return chunked ? response with { Body = Dechunk(response.Body) } : response;
        }

        /// <summary>The body of a chunked response (a HEAD response has none to decode: it must be empty as sent).</summary>
        private static string Dechunk(string chunked)
        {
            var body = new StringBuilder();
            var at = 0;
            while (true)
            {
                var line = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
                var size = Convert.ToInt32(chunked[at..line].Split(';')[0], 16);
                if (size == 0) return body.ToString();
                body.Append(chunked, line + 2, size);
                at = line + 2 + size + 2;
            }
        }
    }
}
