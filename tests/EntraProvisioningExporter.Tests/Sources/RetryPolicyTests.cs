using EntraProvisioningExporter.Sources.Graph;

namespace EntraProvisioningExporter.Tests.Sources;

public class RetryPolicyTests
{
    [Fact]
    public void Jitter_adds_zero_to_twenty_percent_and_varies()
    {
        var delays = Enumerable.Range(0, 500).Select(_ => GraphBatchRunner.WithJitter(TimeSpan.FromSeconds(10))).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12)));
        Assert.True(delays.Distinct().Count() > 100, "tenants throttled together should not come back together");
    }

    [Fact]
    public void Backoff_without_Retry_After_doubles_and_is_capped()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), GraphBatchRunner.Backoff(0));
        Assert.Equal(TimeSpan.FromSeconds(4), GraphBatchRunner.Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(8), GraphBatchRunner.Backoff(2));
        Assert.Equal(TimeSpan.FromMinutes(2), GraphBatchRunner.Backoff(20));
        Assert.Equal(TimeSpan.FromMinutes(2), GraphBatchRunner.WithJitter(TimeSpan.FromMinutes(10)));
    }
}
