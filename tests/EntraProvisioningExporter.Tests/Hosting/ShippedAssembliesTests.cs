using EntraProvisioningExporter.Hosting;
using EntraProvisioningExporter.Simulator;

namespace EntraProvisioningExporter.Tests.Hosting;

/// <summary>The exporter ships the demo's simulated tenant, not the tests' rig (faults, request records, fake clocks).</summary>
public sealed class ShippedAssembliesTests
{
    private static readonly System.Reflection.Assembly[] Shipped = [typeof(DemoMode).Assembly, typeof(SimulatorServer).Assembly];

    [Fact]
    public void No_shipped_assembly_references_the_test_support_project_or_a_fake_clock()
    {
        foreach (var assembly in Shipped)
        {
            var references = assembly.GetReferencedAssemblies().Select(r => r.Name).ToList();
            Assert.DoesNotContain(typeof(SimulatorRig).Assembly.GetName().Name, references);
            Assert.DoesNotContain("Microsoft.Extensions.TimeProvider.Testing", references);
        }
    }

    [Fact]
    public void No_shipped_type_intercepts_the_simulator()
    {
        var interceptors = Shipped.SelectMany(a => a.GetTypes())
            .Where(t => typeof(ISimulatorInterceptor).IsAssignableFrom(t) && !t.IsInterface).Select(t => t.FullName);
        Assert.Empty(interceptors);
    }
}
