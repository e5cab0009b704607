using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>The process and runtime families, compared with what the kernel says of this process (so no other test runs).</summary>
[Collection(RunsAlone.Name)]
public class ProcessFamiliesTests
{
    [Fact]
    public async Task Process_and_runtime_families_are_served()
    {
        await using var host = await ExporterHost.StartAsync(["--demo"]);
        var samples = MetricsText.Parse(await host.MetricsAsync());
        var resident = Assert.Single(samples.Named("process_resident_memory_bytes")).Value;
        // The process's own resident set, from the kernel, within the change between the two reads.
        var kernel = long.Parse(File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        Assert.InRange(resident, kernel * 0.7, kernel * 1.3);
        Assert.True(Assert.Single(samples.Named("process_cpu_seconds_total")).Value > 0);
        Assert.InRange(Assert.Single(samples.Named("process_start_time_seconds")).Value,
            DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.NotEmpty(samples.Named("dotnet_collection_count_total"));
        Assert.Single(samples.Named("dotnet_total_memory_bytes"));
    }
}
