using Xunit.Abstractions;
using Xunit.Sdk;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// A test class that runs for tens of seconds, or keeps both cores busy for many seconds (real tools such as promtool):
/// started first, it overlaps the long waits of the others. It is its own collection's definition
/// (<c>[Collection(nameof(C))]</c> and <c>[CollectionDefinition(nameof(C))]</c> on class C), so that the orderer sees the mark.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LongRunningAttribute : Attribute;

/// <summary>
/// Starts the long-running collections first, then the others by name: the short ones fill in around the long ones, and
/// the parallel part of the run ends with its longest class rather than after a long class that happened to start last.
/// xunit's own order follows a hash of the collections' ids, which moves whenever a class is added or renamed.
/// </summary>
public sealed class LongRunningFirstOrderer : ITestCollectionOrderer
{
    public const string TypeName = "EntraProvisioningExporter.IntegrationTests.Infrastructure.LongRunningFirstOrderer";
    public const string AssemblyName = "EntraProvisioningExporter.IntegrationTests";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(c => c.CollectionDefinition?.GetCustomAttributes(typeof(LongRunningAttribute)).Any() == true)
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal);
}
