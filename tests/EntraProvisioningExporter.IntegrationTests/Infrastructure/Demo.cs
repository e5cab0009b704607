using EntraProvisioningExporter.Simulator.Scenario;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>Counts of the demo tenant's own apps, read from the scenario so tests follow it when apps are added.</summary>
internal static class Demo
{
    private static readonly SimulatedTenant Tenant = DemoScenario.Create(DateTimeOffset.UnixEpoch);

    /// <summary>The scenario's jobs (without synthetic ones).</summary>
    public static int Jobs { get; } = Tenant.ServicePrincipals.Sum(sp => sp.Jobs.Count);

    /// <summary>The scenario's service principals, with jobs or without.</summary>
    public static int ServicePrincipals { get; } = Tenant.ServicePrincipals.Count;

    /// <summary>The scenario's service principals that have jobs (one has two).</summary>
    public static int ServicePrincipalsWithJobs { get; } = Tenant.ServicePrincipals.Count(sp => sp.Jobs.Count > 0);
}
