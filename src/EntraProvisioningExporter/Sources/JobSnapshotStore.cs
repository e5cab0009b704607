using System.Collections.Immutable;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Sources;

/// <summary>One tenant's jobs as of one poll cycle. Immutable: pollers publish a new one, instruments read whichever is current.</summary>
public sealed record TenantJobSnapshot(string TenantId, IReadOnlyList<JobState> Jobs, DateTimeOffset CollectedAt);

/// <summary>The latest job snapshot of every tenant. Publishing swaps a reference; readers never wait for a poll.</summary>
public sealed class JobSnapshotStore
{
    // Sorted by tenant id, so every instrument reads jobs in a stable order without sorting at each collection.
    private ImmutableSortedDictionary<string, TenantJobSnapshot> tenants = ImmutableSortedDictionary.Create<string, TenantJobSnapshot>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Raised after a tenant's snapshot is published, on the publishing thread, with the tenant id.</summary>
    public event Action<string>? Published;

    public void Publish(TenantJobSnapshot snapshot)
    {
        ImmutableInterlocked.Update(ref tenants, (all, s) => all.SetItem(s.TenantId, s), snapshot);
        Published?.Invoke(snapshot.TenantId);
    }

    public TenantJobSnapshot? Get(string tenantId) => Volatile.Read(ref tenants).GetValueOrDefault(tenantId);

    public IReadOnlyCollection<TenantJobSnapshot> All => Volatile.Read(ref tenants).Values.ToList();
}
