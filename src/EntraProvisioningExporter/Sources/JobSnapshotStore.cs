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

    /// <summary>
    /// Raised after a tenant's snapshot is published, on the publishing thread, with the tenant id and whether the
    /// set of its jobs changed (a job appeared or went), as opposed to only their state.
    /// </summary>
    public event Action<string, bool>? Published;

    public void Publish(TenantJobSnapshot snapshot)
    {
        TenantJobSnapshot? previous = null;
        ImmutableInterlocked.Update(ref tenants, (all, s) =>
        {
            previous = all.GetValueOrDefault(s.TenantId);
            return all.SetItem(s.TenantId, s);
        }, snapshot);
        Published?.Invoke(snapshot.TenantId, previous is null || !SameJobs(previous.Jobs, snapshot.Jobs));
    }

    /// <summary>The same jobs in the same order (pollers publish them sorted).</summary>
    private static bool SameJobs(IReadOnlyList<JobState> a, IReadOnlyList<JobState> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
            if (!string.Equals(a[i].JobId, b[i].JobId, StringComparison.Ordinal) || !string.Equals(a[i].ServicePrincipalId, b[i].ServicePrincipalId, StringComparison.Ordinal))
                return false;
        return true;
    }

    /// <summary>Forgets a tenant (removed from the configuration); its series go with the notification.</summary>
    public void Remove(string tenantId)
    {
        ImmutableInterlocked.Update(ref tenants, (all, id) => all.Remove(id), tenantId);
        Published?.Invoke(tenantId, true);
    }

    public TenantJobSnapshot? Get(string tenantId) => Volatile.Read(ref tenants).GetValueOrDefault(tenantId);

    public IReadOnlyCollection<TenantJobSnapshot> All => Volatile.Read(ref tenants).Values.ToList();
}
