using System.Collections.Immutable;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Sources;

/// <summary>One tenant's jobs as of one poll cycle. Immutable: pollers publish a new one, instruments read whichever is current.</summary>
public sealed record TenantJobSnapshot(string TenantId, IReadOnlyList<JobState> Jobs, DateTimeOffset CollectedAt);

/// <summary>The latest job snapshot of every tenant. Publishing swaps a reference; readers never wait for a poll.</summary>
public sealed class JobSnapshotStore
{
    private ImmutableDictionary<string, TenantJobSnapshot> tenants = ImmutableDictionary.Create<string, TenantJobSnapshot>(StringComparer.OrdinalIgnoreCase);

    public void Publish(TenantJobSnapshot snapshot) =>
        ImmutableInterlocked.AddOrUpdate(ref tenants, snapshot.TenantId, snapshot, (_, _) => snapshot);

    public TenantJobSnapshot? Get(string tenantId) => Volatile.Read(ref tenants).GetValueOrDefault(tenantId);

    /// <summary>Every job of every tenant, in a stable order (tenant, service principal, job).</summary>
    public IEnumerable<JobState> AllJobs()
    {
        var current = Volatile.Read(ref tenants);
        foreach (var key in current.Keys.Order(StringComparer.OrdinalIgnoreCase))
            foreach (var job in current[key].Jobs)
                yield return job;
    }

    public IReadOnlyCollection<TenantJobSnapshot> All => Volatile.Read(ref tenants).Values.ToList();
}
