using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// Idle, slow and abandoned clients against the exporter process (either build, over plain HTTP and over TLS): 1,000
/// connections that never send a byte and 50 that trickle their headers a byte at a time (reconnecting when cut off,
/// as an attacker would) are held while /metrics, /healthz and /readyz are requested, each on a connection of its own
/// as the kubelet makes its probes. Every request must answer 200 within a bound, and the server must then close
/// every hostile connection itself. Loopback only.
/// </summary>
[Collection(RunsAlone.Name)]
public class HostileClientsTests(ITestOutputHelper output)
{
    private const int IdleClients = 1000;
    private const int SlowClients = 50;
    private const int Rounds = 10;
    private static readonly string[] Paths = ["/metrics", "/healthz", "/readyz"];

    /// <summary>What "answering" means: generous beside the second the exporter is meant to answer in.</summary>
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(3);

    /// <summary>How long a hostile connection may stay open: generous beside the exporter's keep-alive and header timeouts.</summary>
    private static readonly TimeSpan ReapBound = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Trickle = TimeSpan.FromMilliseconds(500);

    public static TheoryData<string, string> Rows()
    {
        var rows = new TheoryData<string, string>();
        foreach (var build in ExporterBuild.All)
            foreach (var scheme in (string[])["http", "https"])
                rows.Add(build.Name, scheme);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Idle_and_slow_clients_leave_scrapes_and_probes_answering_and_are_closed_by_the_server(string build, string scheme)
    {
        RequireOpenFiles(IdleClients + SlowClients + 512);
        var tls = scheme == "https";
        var port = Tools.FreePort();
        var dir = Directory.CreateTempSubdirectory("entra-hostile-").FullName;
        using var certificate = tls ? LoopbackCertificate.Create() : null;
        string[] listen = ["--urls", $"http://127.0.0.1:{port}"];
        if (certificate is not null)
        {
            var pfx = Path.Combine(dir, "metrics.pfx");
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "pfx-password"));
            listen = ["--Kestrel:Endpoints:Https:Url", $"https://127.0.0.1:{port}", "--Kestrel:Endpoints:Https:Certificate:Path", pfx,
                "--Kestrel:Endpoints:Https:Certificate:Password", "pfx-password"];
        }
        await using var exporter = ManagedProcess.StartExporter(["--demo", .. listen, "--Logging:LogLevel:Default=Warning"],
            build: ExporterBuild.Named(build));
        using var handler = new SocketsHttpHandler
        {
            // Every request on a connection of its own, as the kubelet makes its probes: none kept open from before the crowd.
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == certificate?.Thumbprint },
        };
        var address = new Uri($"{scheme}://127.0.0.1:{port}/");
        using var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(20) };
        await Tools.Eventually(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(90),
            "ready: " + exporter.Describe());

        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        using var attack = new CancellationTokenSource();
        // The slow clients first (a TLS handshake each), then the idle ones, then at once the timed requests.
        var slow = Enumerable.Range(0, SlowClients).Select(_ => new SlowClient(endpoint, tls)).ToList();
        var slowRuns = slow.Select(s => s.RunAsync(attack.Token)).ToList();
        IReadOnlyList<IdleConnection> idle = [];
        try
        {
            await Within(Task.WhenAll(slow.Select(s => s.Started)), "every slow client sending its headers", exporter);
            idle = await IdleConnection.OpenAsync(endpoint, IdleClients);
            var idleHeld = idle;
            (int Idle, int Slow) Held() => (idleHeld.Count(c => !c.Closed.IsCompleted), slow.Sum(s => s.Holding));

            var timings = await TimeOnOwnThreadAsync(http, Held);
            output.WriteLine($"slowest of {timings.Count}: {timings.MaxBy(t => t.Elapsed)}");

            var late = timings.Where(t => t.Status != HttpStatusCode.OK || t.Elapsed > AnswerBound).ToList();
            Assert.True(late.Count == 0, $"{late.Count} of {timings.Count} requests failed or took over {AnswerBound.TotalSeconds} s "
                + $"with {IdleClients} idle and {SlowClients} slow clients:\n{string.Join("\n", late)}\n{exporter.Describe()}");
            // The first request was made with every idle connection held: the test measured what it claims to.
            Assert.Equal(IdleClients, timings[0].Held.Idle);

            // The server closes every idle connection, and cuts off every slow client at least once, by itself.
            var idleClosed = await Within(Task.WhenAll(idle.Select(c => c.Closed)), "the server closing every idle connection", exporter);
            Assert.All(idleClosed, after => Assert.InRange(after, TimeSpan.Zero, ReapBound));
            await Within(Task.WhenAll(slow.Select(s => s.FirstCut)), "the server cutting off every slow client", exporter);
        }
        finally
        {
            await attack.CancelAsync();
            await Task.WhenAll(slowRuns);
            foreach (var connection in idle) connection.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task The_exporter_raises_its_soft_open_file_limit_to_the_hard_one(string build)
    {
        var hard = OpenFiles(Environment.ProcessId).Hard;
        Assert.True(hard is null or > 1024, $"the hard open-file limit ({hard}) leaves nothing to raise: this test needs more than 1024");
        var port = Tools.FreePort();
        var (fileName, prefix) = ExporterBuild.Named(build).Command;
        // As a container runtime starts it: the soft limit at 1,024, the hard one higher.
        await using var exporter = ManagedProcess.Start("bash",
            ["-c", "ulimit -Sn 1024 && exec \"$0\" \"$@\"", fileName, .. prefix, "--demo", "--urls", $"http://127.0.0.1:{port}"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Tools.Eventually(async () => (await http.GetAsync("healthz")).IsSuccessStatusCode, TimeSpan.FromSeconds(90),
            "serving: " + exporter.Describe());
        var (soft, _) = OpenFiles(exporter.Id);
        Assert.Equal(hard, soft);
    }

    /// <summary>The soft and hard "Max open files" of a process (null: unlimited).</summary>
    private static (long? Soft, long? Hard) OpenFiles(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var columns = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long? Read(string column) => column == "unlimited" ? null : long.Parse(column, CultureInfo.InvariantCulture);
        return (Read(columns[0]), Read(columns[1]));
    }

    /// <summary>Waits for <paramref name="task"/> no longer than <see cref="ReapBound"/>, else fails saying what it waited for.</summary>
    private static async Task<T> Within<T>(Task<T> task, string what, ManagedProcess exporter)
    {
        await Within((Task)task, what, exporter);
        return await task;
    }

    private static async Task Within(Task task, string what, ManagedProcess exporter)
    {
        if (await Task.WhenAny(task, Task.Delay(ReapBound)) != task)
            Assert.Fail($"Not within {ReapBound.TotalSeconds} s: {what}.\n{exporter.Describe()}");
        await task;
    }

    private sealed record Timing(string Path, HttpStatusCode? Status, TimeSpan Elapsed, (int Idle, int Slow) Held, string? Error)
    {
        public override string ToString() => $"{Path}: {(Status is { } s ? ((int)s).ToString(CultureInfo.InvariantCulture) : Error)} "
            + $"after {Elapsed.TotalMilliseconds:F0} ms, {Held.Idle} idle and {Held.Slow} slow connections held";
    }

    /// <summary>
    /// The requests, made and timed on a thread of their own with blocking calls, so that the thread pool the hostile
    /// clients run on cannot delay them; each on a new connection (Connection: close).
    /// </summary>
    private static Task<IReadOnlyList<Timing>> TimeOnOwnThreadAsync(HttpClient http, Func<(int Idle, int Slow)> held)
    {
        var done = new TaskCompletionSource<IReadOnlyList<Timing>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var timings = new List<Timing>();
            for (var round = 0; round < Rounds; round++)
                foreach (var path in Paths)
                {
                    var holding = held();
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { ConnectionClose = true } };
                        using var response = http.Send(request);
                        response.Content.ReadAsStream().CopyTo(Stream.Null);
                        timings.Add(new Timing(path, response.StatusCode, clock.Elapsed, holding, null));
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                    {
                        timings.Add(new Timing(path, null, clock.Elapsed, holding,
                            $"{ex.GetType().Name}: {ex.InnerException?.Message ?? ex.Message}"));
                    }
                }
            done.SetResult(timings);
        }) { IsBackground = true, Name = "timed requests" };
        thread.Start();
        return done.Task;
    }

    /// <summary>The test holds a descriptor for every hostile connection; .NET starts with the soft limit raised to the hard one.</summary>
    private static void RequireOpenFiles(int needed)
    {
        if (OpenFiles(Environment.ProcessId).Soft is { } soft && soft < needed)
            throw new InvalidOperationException($"This test needs {needed} open files and the limit is {soft}: raise it (ulimit -Hn).");
    }

    /// <summary>A connection that never sends a byte; <see cref="Closed"/> completes, with how long it was open, at its close.</summary>
    private sealed class IdleConnection : IDisposable
    {
        private readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        public Task<TimeSpan> Closed { get; private set; } = null!;

        public static async Task<IReadOnlyList<IdleConnection>> OpenAsync(IPEndPoint endpoint, int count)
        {
            var connections = Enumerable.Range(0, count).Select(_ => new IdleConnection()).ToList();
            await Parallel.ForEachAsync(connections, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (c, token) =>
            {
                await c.socket.ConnectAsync(endpoint, token);
                c.Closed = c.WaitClosedAsync();
            });
            return connections;
        }

        private async Task<TimeSpan> WaitClosedAsync()
        {
            var open = Stopwatch.StartNew();
            try
            {
                var buffer = new byte[256];
                while (await socket.ReceiveAsync(buffer) > 0)
                {
                    // Kestrel may say why before it closes; the connection is closed when the stream ends.
                }
            }
            catch (SocketException)
            {
                // reset by the server: closed as well
            }
            catch (ObjectDisposedException)
            {
                return TimeSpan.MaxValue; // the test gave up on it
            }
            return open.Elapsed;
        }

        public void Dispose() => socket.Dispose();
    }

    /// <summary>
    /// A client that sends a request line and then one header byte every <see cref="Trickle"/>, never finishing its
    /// headers; when the server cuts it off (408 or a closed connection) it connects again, until the attack ends.
    /// </summary>
    private sealed class SlowClient(IPEndPoint endpoint, bool tls)
    {
        private static readonly byte[] RequestLine = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        private static readonly byte[] HeaderByte = "X"u8.ToArray();
        private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource firstCut = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int holding;

        public Task Started => started.Task;
        public Task FirstCut => firstCut.Task;

        /// <summary>1 while its connection is open and sending, else 0.</summary>
        public int Holding => Volatile.Read(ref holding);

        public async Task RunAsync(CancellationToken attack)
        {
            while (!attack.IsCancellationRequested)
            {
                try
                {
                    await HoldOnceAsync(attack);
                    firstCut.TrySetResult();
                }
                catch (OperationCanceledException) when (attack.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException)
                {
                    firstCut.TrySetResult(); // cut off mid-write or mid-handshake
                }
                finally
                {
                    Volatile.Write(ref holding, 0);
                }
            }
        }

        private async Task HoldOnceAsync(CancellationToken attack)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, attack);
            await using Stream stream = tls ? await HandshakeAsync(socket, attack) : new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(RequestLine, attack);
            Volatile.Write(ref holding, 1);
            started.TrySetResult();
            var buffer = new byte[256];
            var answer = stream.ReadAsync(buffer, attack).AsTask();
            while (!answer.IsCompleted)
            {
                await stream.WriteAsync(HeaderByte, attack);
                await Task.WhenAny(answer, Task.Delay(Trickle, attack));
                attack.ThrowIfCancellationRequested();
            }
            await answer; // 408, an end of stream or a reset: cut off
        }

        private static async Task<Stream> HandshakeAsync(Socket socket, CancellationToken attack)
        {
            var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, attack);
            return ssl;
        }
    }
}
