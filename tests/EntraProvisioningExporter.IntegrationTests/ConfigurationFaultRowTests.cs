using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

// The reload faults of ConfigurationFaultTests, one class per build: each row starts an exporter process and waits on
// its reloads, and xunit runs the tests of one class one after another but different classes side by side.

[LongRunning, Collection(nameof(JitConfigurationFaultRowTests)), CollectionDefinition(nameof(JitConfigurationFaultRowTests))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class JitConfigurationFaultRowTests
{
    [Theory]
    [MemberData(nameof(ConfigurationFaultTests.FaultNames), MemberType = typeof(ConfigurationFaultTests))]
    public Task A_fault_is_refused_naming_its_file_and_reason_and_the_old_configuration_runs_on_until_it_is_repaired(string fault) =>
        ConfigurationFaultTests.RefusedUntilRepairedAsync(ExporterBuild.Jit.Name, fault);
}

[LongRunning, Collection(nameof(AotConfigurationFaultRowTests)), CollectionDefinition(nameof(AotConfigurationFaultRowTests))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AotConfigurationFaultRowTests
{
    [Theory]
    [MemberData(nameof(ConfigurationFaultTests.FaultNames), MemberType = typeof(ConfigurationFaultTests))]
    public Task A_fault_is_refused_naming_its_file_and_reason_and_the_old_configuration_runs_on_until_it_is_repaired(string fault) =>
        ConfigurationFaultTests.RefusedUntilRepairedAsync(ExporterBuild.Aot.Name, fault);
}
