using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Sources;

/// <summary>
/// Which replica polls which tenant: rendezvous (highest-random-weight) hashing. Every replica scores each
/// (tenant, shard) pair with SHA-256 of "tenantid/shard" (tenant id lower-cased; the first 8 bytes, big-endian)
/// and a tenant belongs to the shard with the highest score. It depends only on the tenant id and the shard
/// count (not on the order of the tenant list, the process or the .NET version), so every replica computes the
/// same split without talking to the others; and going from N to N+1 shards moves only about 1/(N+1) of the
/// tenants, so a scale-out keeps most tenants' request budgets and cursors where they were.
/// </summary>
public sealed class TenantSharding
{
    public TenantSharding(ExporterOptions options)
    {
        Count = Math.Max(1, options.Sharding.Count);
        Index = Count == 1 ? 0 : options.Sharding.Index ?? 0;
        Configured = options.Tenants.Count;
        Assigned = options.Tenants.Where(t => ShardOf(t.TenantId ?? "", Count) == Index).ToList();
    }

    public int Count { get; }
    public int Index { get; }

    /// <summary>How many tenants the configuration lists (across all shards).</summary>
    public int Configured { get; }

    /// <summary>The tenants this replica polls, in configuration order.</summary>
    public IReadOnlyList<TenantOptions> Assigned { get; }

    public static int ShardOf(string tenantId, int count)
    {
        if (count <= 1) return 0;
        var best = 0;
        var bestScore = 0UL;
        for (var shard = 0; shard < count; shard++)
        {
            var score = Score(tenantId, shard);
            if (shard == 0 || score > bestScore) (best, bestScore) = (shard, score);
        }
        return best;
    }

    private static ulong Score(string tenantId, int shard)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{tenantId.ToLowerInvariant()}/{shard}"), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }
}
