using EntraProvisioningExporter.IntegrationTests.Infrastructure;

// Most of these tests wait (on child processes, real tools, poll intervals and Retry-After) far more than they compute:
// five at a time keep the 2-core machine busy without starving one of them. Test classes are the unit xunit runs side
// by side, the long-running ones first; a class whose tests measure the machine or this process runs alone, after the
// others (RunsAlone).
[assembly: CollectionBehavior(MaxParallelThreads = 5)]
[assembly: TestCollectionOrderer(LongRunningFirstOrderer.TypeName, LongRunningFirstOrderer.AssemblyName)]
