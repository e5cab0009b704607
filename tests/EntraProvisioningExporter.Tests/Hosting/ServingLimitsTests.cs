using EntraProvisioningExporter.Hosting;

namespace EntraProvisioningExporter.Tests.Hosting;

/// <summary>
/// The connection limit stays below the open-file limit (that the exporter raises is shown on the process, HostileClientsTests).
/// </summary>
public class ServingLimitsTests
{
    [Theory]
    [InlineData(null, 4096)] // unlimited or unknown: the ceiling
    [InlineData(1_048_576L, 4096)]
    [InlineData(4352L, 4096)]
    [InlineData(4351L, 4095)] // the reserve left to everything else
    [InlineData(1024L, 768)] // a container runtime's usual soft limit
    [InlineData(300L, 150)] // a tiny limit: half of it, never nothing
    public void The_connection_limit_leaves_descriptors_to_the_rest_of_the_process(long? openFiles, long expected) =>
        Assert.Equal(expected, ServingLimits.MaxConnections(openFiles));
}
