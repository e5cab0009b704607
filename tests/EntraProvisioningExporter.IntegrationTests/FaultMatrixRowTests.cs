using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

// The rows of the fault matrix (FaultMatrixTests), one class per group: each row waits out about three real poll
// cycles, and xunit runs the tests of one class one after another but different classes side by side.

[LongRunning, Collection(nameof(GraphStatusFaultRowTests)), CollectionDefinition(nameof(GraphStatusFaultRowTests))]
public sealed class GraphStatusFaultRowTests
{
    [Theory]
    [MemberData(nameof(FaultMatrixTests.GraphStatusRows), MemberType = typeof(FaultMatrixTests))]
    public Task Fault_row(string name, FaultRule fault, string source, string reason, string[] extra) =>
        FaultMatrixTests.FaultRowAsync(name, fault, source, reason, extra);
}

public sealed class GraphRefusalFaultRowTests
{
    [Theory]
    [MemberData(nameof(FaultMatrixTests.GraphRefusalRows), MemberType = typeof(FaultMatrixTests))]
    public Task Fault_row(string name, FaultRule fault, string source, string reason, string[] extra) =>
        FaultMatrixTests.FaultRowAsync(name, fault, source, reason, extra);
}

[LongRunning, Collection(nameof(GraphBodyFaultRowTests)), CollectionDefinition(nameof(GraphBodyFaultRowTests))]
public sealed class GraphBodyFaultRowTests
{
    [Theory]
    [MemberData(nameof(FaultMatrixTests.GraphBodyRows), MemberType = typeof(FaultMatrixTests))]
    public Task Fault_row(string name, FaultRule fault, string source, string reason, string[] extra) =>
        FaultMatrixTests.FaultRowAsync(name, fault, source, reason, extra);
}

[LongRunning, Collection(nameof(LogAnalyticsFaultRowTests)), CollectionDefinition(nameof(LogAnalyticsFaultRowTests))]
public sealed class LogAnalyticsFaultRowTests
{
    [Theory]
    [MemberData(nameof(FaultMatrixTests.LogAnalyticsRows), MemberType = typeof(FaultMatrixTests))]
    public Task Fault_row(string name, FaultRule fault, string source, string reason, string[] extra) =>
        FaultMatrixTests.FaultRowAsync(name, fault, source, reason, extra);
}
