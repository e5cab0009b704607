using System.Net;
using System.Threading.Channels;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Graph;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Sources;

/// <summary>Graph's throttling headers read per cycle, every value checked; the poller at half the rate past the limit.</summary>
public class GraphThrottleTests
{
    private const string Tenant = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e";
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Counts what the exporter's own families are given (the dropped objects among them).</summary>
    private sealed class Recorder : IMetricRecorder
    {
        public List<(string Family, double Increment, string[] Labels)> Added { get; } = [];
        public void Add(RecordedFamily family, double increment, params ReadOnlySpan<string> labelValues)
            => Added.Add((family.Name, increment, labelValues.ToArray()));
        public void Observe(RecordedFamily family, double value, params ReadOnlySpan<string> labelValues) { }
        public void Remove(RecordedFamily family, params ReadOnlySpan<string> labelValues) { }

        public double Dropped(string reason) =>
            Added.Where(a => a.Family == "entra_exporter_dropped_objects_total" && a.Labels.Contains(reason)).Sum(a => a.Increment);
    }

    private static (GraphThrottleMeter Meter, Recorder Self) Meter()
    {
        var recorder = new Recorder();
        var drops = new DroppedObjects(new ExporterSelfMetrics([recorder]), NullLogger<DroppedObjects>.Instance);
        return (new GraphThrottleMeter(new SourceDrops(drops, Tenant, SourceNames.GraphJobs)), recorder);
    }

    private static HttpResponseMessage Response(HttpStatusCode status, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status);
        foreach (var (name, value) in headers) response.Headers.TryAddWithoutValidation(name, value);
        return response;
    }

    [Fact]
    public void A_cycle_reads_the_highest_percentage_and_the_summed_units_then_the_next_starts_from_none()
    {
        var (meter, _) = Meter();
        foreach (var (ratio, units) in new[] { ("0.82", "3"), ("0.97", "1"), ("0.9", "2") })
        {
            using var r = Response(HttpStatusCode.OK, ("x-ms-throttle-limit-percentage", ratio), ("x-ms-resource-unit", units));
            meter.Observe(r.Headers, r.StatusCode);
        }
        using (var plain = Response(HttpStatusCode.OK, ("x-ms-resource-unit", "4"))) meter.Observe(plain.Headers, plain.StatusCode);

        var first = meter.EndCycle();
        Assert.Equal((0.97, 10L), (first.LimitRatio, first.ResourceUnits));
        Assert.False(first.PastTheLimit);
        Assert.Equal((0d, 0L), (meter.EndCycle().LimitRatio, meter.EndCycle().ResourceUnits));
    }

    [Theory]
    [InlineData("x-ms-throttle-limit-percentage", "abc")]
    [InlineData("x-ms-throttle-limit-percentage", "NaN")]
    [InlineData("x-ms-throttle-limit-percentage", "-0.5")]
    [InlineData("x-ms-throttle-limit-percentage", "1e9")]
    [InlineData("x-ms-resource-unit", "1.5")]
    [InlineData("x-ms-resource-unit", "-1")]
    [InlineData("x-ms-resource-unit", "99999999999")]
    public void A_header_that_is_not_a_reading_is_dropped_and_counted_and_the_rest_of_the_response_is_used(string header, string value)
    {
        var (meter, self) = Meter();
        var other = header == "x-ms-resource-unit" ? ("x-ms-throttle-limit-percentage", "0.85") : ("x-ms-resource-unit", "2");
        using var r = Response(HttpStatusCode.OK, (header, value), other);
        meter.Observe(r.Headers, r.StatusCode);
        var reading = meter.EndCycle();
        Assert.Equal(header == "x-ms-resource-unit" ? (0.85, 0L) : (0d, 2L), (reading.LimitRatio, reading.ResourceUnits));
        Assert.Equal(1, self.Dropped(DropReason.BadValue));
    }

    [Theory]
    [InlineData("Tenant_Application/Read/app/tenant", "ResourceUnitLimitExceeded",
        "Tenant_Application", "Read", "ResourceUnitLimitExceeded")]
    [InlineData("tenant/readwrite/app/tenant", "something new", "Tenant", "ReadWrite", "other")]
    [InlineData("Galaxy", null, "other", "other", "none")]
    [InlineData(null, null, "none", "none", "none")]
    public void A_429_counts_by_its_scope_limit_and_reason_each_bounded(string? scope, string? information, string s, string l,
        string reason)
    {
        var (meter, _) = Meter();
        var headers = new List<(string, string)>();
        if (scope is not null) headers.Add(("x-ms-throttle-scope", scope));
        if (information is not null) headers.Add(("x-ms-throttle-information", information));
        using (var throttled = Response(HttpStatusCode.TooManyRequests, [.. headers])) meter.Observe(throttled.Headers,
            throttled.StatusCode);
        using (var ok = Response(HttpStatusCode.OK, [.. headers])) meter.Observe(ok.Headers, ok.StatusCode);
        var counted = Assert.Single(meter.EndCycle().Throttled);
        Assert.Equal((new GraphThrottleKind(s, l, reason), 1L), (counted.Key, counted.Value));
        Assert.Single(meter.EndCycle().Throttled); // the 429 counts go on across cycles
    }

    /// <summary>A source whose every cycle gets one response with the given percentage, and says when a cycle ran.</summary>
    private sealed class MeteredSource(GraphThrottleMeter meter, Func<string> percentage, TimeProvider time) : IPolledSource
    {
        public Channel<DateTimeOffset> Cycles { get; } = Channel.CreateUnbounded<DateTimeOffset>();
        public string TenantId => Tenant;
        public string TenantName => "busy";
        public string Source => SourceNames.GraphJobs;

        public Task<CycleOutcome> RunCycleAsync(CancellationToken cancellationToken)
        {
            using var r = Response(HttpStatusCode.OK, ("x-ms-throttle-limit-percentage", percentage()));
            meter.Observe(r.Headers, r.StatusCode);
            Cycles.Writer.TryWrite(time.GetUtcNow());
            return Task.FromResult(CycleOutcome.Success);
        }
    }

    [Fact]
    public async Task Past_the_limit_the_loop_lets_one_tick_pass_between_cycles_and_back_under_it_polls_every_tick()
    {
        var time = new FakeTimeProvider(Start);
        var options = new ExporterOptions { PollInterval = TimeSpan.FromMinutes(1) };
        var runtime = new RuntimeConfiguration(options, new ExporterInfo("test", options.PollInterval, 0, 1, 1, 1, true, Start));
        var health = new TenantSnapshotStore();
        var (meter, _) = Meter();
        var percentage = "1.2";
        var source = new MeteredSource(meter, () => percentage, time);
        health.Register(Tenant, source.Source);
        using var stop = new CancellationTokenSource();
        var log = new ChannelLogger();
        var loop = new PollLoop(source, runtime, health, new ExporterSelfMetrics([]), time, log, meter);
        var running = loop.RunAsync(stop.Token);
        async Task<TimeSpan> Next() => await source.Cycles.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)) - Start;
        async Task Skipped()
            => Assert.Contains("lets this poll pass", await log.Lines.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        var interval = options.PollInterval;

        Assert.Equal(TimeSpan.Zero, await Next());
        Assert.Equal(1.2, health.Get(Tenant)!.Sources.Single().Throttle!.LimitRatio);
        Assert.Contains("polls at half the rate", await log.Lines.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        // Past the limit: a tick passes without a cycle, the next runs one (one tick at a time, each seen to pass).
        time.Advance(interval);
        await Skipped();
        time.Advance(interval);
        Assert.Equal(2 * interval, await Next());
        time.Advance(interval);
        await Skipped();
        percentage = "0.95";
        time.Advance(interval);
        Assert.Equal(4 * interval, await Next());
        Assert.Contains("polls at its interval again", await log.Lines.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        // Back under it: a cycle every tick.
        time.Advance(interval);
        Assert.Equal(5 * interval, await Next());
        Assert.Equal(0.95, health.Get(Tenant)!.Sources.Single().Throttle!.LimitRatio);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_source_without_a_meter_never_slows_down_and_never_logs_about_throttling()
    {
        var time = new FakeTimeProvider(Start);
        var options = new ExporterOptions { PollInterval = TimeSpan.FromMinutes(1) };
        var runtime = new RuntimeConfiguration(options, new ExporterInfo("test", options.PollInterval, 0, 1, 1, 1, true, Start));
        var health = new TenantSnapshotStore();
        var (meter, _) = Meter();
        var source = new MeteredSource(meter, () => "1.5", time); // its responses say 1.5, but the loop is given no meter
        health.Register(Tenant, source.Source);
        using var stop = new CancellationTokenSource();
        var log = new ChannelLogger();
        var running = new PollLoop(source, runtime, health, new ExporterSelfMetrics([]), time, log).RunAsync(stop.Token);
        async Task<TimeSpan> Next() => await source.Cycles.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)) - Start;

        Assert.Equal(TimeSpan.Zero, await Next());
        for (var tick = 1; tick <= 3; tick++)
        {
            time.Advance(options.PollInterval);
            Assert.Equal(tick * options.PollInterval, await Next());
        }
        Assert.Null(health.Get(Tenant)!.Sources.Single().Throttle);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(log.Lines.Reader.TryRead(out var line), line);
    }

    [Fact]
    public async Task A_subscriber_to_the_health_report_that_throws_never_stops_the_loop()
    {
        var time = new FakeTimeProvider(Start);
        var options = new ExporterOptions { PollInterval = TimeSpan.FromMinutes(1) };
        var runtime = new RuntimeConfiguration(options, new ExporterInfo("test", options.PollInterval, 0, 1, 1, 1, true, Start));
        var storeLog = new ChannelLogger();
        var health = new TenantSnapshotStore(new Microsoft.Extensions.Logging.Logger<TenantSnapshotStore>(new OneLoggerFactory(storeLog)));
        var (meter, _) = Meter();
        var source = new MeteredSource(meter, () => "0.5", time);
        health.Register(Tenant, source.Source);
        health.Published += _ => throw new InvalidOperationException("a broken subscriber");
        using var stop = new CancellationTokenSource();
        var log = new ChannelLogger();
        var running = new PollLoop(source, runtime, health, new ExporterSelfMetrics([]), time, log, meter).RunAsync(stop.Token);
        async Task<TimeSpan> Next() => await source.Cycles.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)) - Start;

        Assert.Equal(TimeSpan.Zero, await Next());
        // The store isolates its subscribers: it logs the failure, and the loop never sees it.
        Assert.Contains("A subscriber to tenant", await storeLog.Lines.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        time.Advance(options.PollInterval);
        Assert.Equal(options.PollInterval, await Next());
        Assert.False(running.IsCompleted);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private sealed class OneLoggerFactory(Microsoft.Extensions.Logging.ILogger logger) : Microsoft.Extensions.Logging.ILoggerFactory
    {
        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider) { }

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => logger;

        public void Dispose() { }
    }

    /// <summary>The loop's log lines, in order.</summary>
    private sealed class ChannelLogger : Microsoft.Extensions.Logging.ILogger
    {
        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter) => Lines.Writer.TryWrite(formatter(state, exception));
    }
}
