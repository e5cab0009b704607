using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Tests.Metrics;
using Microsoft.Extensions.Logging;

namespace EntraProvisioningExporter.Tests.Sources;

public class TenantSnapshotStoreTests
{
    [Fact]
    public void A_subscriber_that_throws_is_logged_and_the_others_still_get_the_snapshot()
    {
        var logs = new ListLogger();
        var store = new TenantSnapshotStore(logs);
        var seen = new List<long>();
        store.Published += _ => throw new InvalidOperationException("a broken subscriber");
        store.Published += snapshot => seen.Add(snapshot.Version);

        store.PublishJobs(new TenantJobSnapshot(MetricsHarness.TenantId, [MetricsHarness.Job("a")], MetricsHarness.Now));
        store.Remove(MetricsHarness.TenantId);

        Assert.Equal(2, seen.Count);
        Assert.Equal(2, logs.Errors.Count);
        Assert.All(logs.Errors, e => Assert.Contains(MetricsHarness.TenantId, e, StringComparison.Ordinal));
        Assert.Empty(store.All);
    }

    private sealed class ListLogger : ILogger<TenantSnapshotStore>
    {
        public List<string> Errors { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Error && exception is InvalidOperationException) Errors.Add(formatter(state, exception));
        }
    }
}
