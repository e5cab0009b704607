namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// The test classes that measure the machine or this test process (answer times under a crowd of clients, a slow
/// client's cut-off, this process's resident memory and unobserved task exceptions) or load its thread pool with ten
/// thousand jobs: xunit runs this collection after every parallel one, one test at a time, so that no other test
/// disturbs what they measure and they disturb no other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
