using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;

namespace EntraProvisioningExporter.Tests.Sharding;

public class TenantShardingTests
{
    private static readonly IReadOnlyList<string> Tenants =
        Enumerable.Range(0, 600).Select(i => new Guid(System.Security.Cryptography.MD5.HashData(BitConverter.GetBytes(i))).ToString())
            .ToList();

    private static ExporterOptions Options(int count, int? index, IEnumerable<string>? tenants = null) => new()
    {
        Sharding = new ShardingOptions { Count = count, Index = index },
        Tenants = (tenants ?? Tenants).Select(t => new TenantOptions { TenantId = t }).ToList(),
    };

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Every_tenant_is_polled_by_exactly_one_shard(int count)
    {
        var polled = Enumerable.Range(0, count).SelectMany(i => new TenantSharding(Options(count, i)).Assigned.Select(t => t.TenantId!))
            .ToList();

        Assert.Equal(Tenants.Count, polled.Count);
        Assert.Equal(Tenants.Order(), polled.Order());
    }

    [Fact]
    public void Shares_are_balanced()
    {
        var sizes = Enumerable.Range(0, 3).Select(i => new TenantSharding(Options(3, i)).Assigned.Count).ToList();

        // 600 tenants over 3 shards: 200 each on average; a hash this uniform stays well within ±20 %.
        Assert.All(sizes, n => Assert.InRange(n, 160, 240));
    }

    [Fact]
    public void The_split_is_pinned_so_replicas_of_different_versions_agree()
    {
        // Recomputed by hand from the documented rule (SHA-256 of "tenantid/shard", first 8 bytes big-endian, highest wins).
        Assert.Equal(Expected("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", 3),
            TenantSharding.ShardOf("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", 3));
        Assert.Equal(TenantSharding.ShardOf("6D3B9A1E-0C4F-4E8E-9B7A-1F2A3B4C5D6E", 3),
            TenantSharding.ShardOf("6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", 3));
        Assert.All(Tenants.Take(50), t => Assert.Equal(Expected(t, 5), TenantSharding.ShardOf(t, 5)));
    }

    private static int Expected(string tenant, int count)
    {
        var scores = Enumerable.Range(0, count).Select(shard =>
        {
            var hash = System.Security.Cryptography.SHA256.HashData(
                System.Text.Encoding.UTF8.GetBytes($"{tenant.ToLowerInvariant()}/{shard}"));
            return (shard, score: Convert.ToHexString(hash, 0, 8));
        });
        return scores.OrderByDescending(s => s.score, StringComparer.Ordinal).First().shard;
    }

    [Fact]
    public void The_split_does_not_depend_on_the_order_of_the_tenant_list()
    {
        var forward = new TenantSharding(Options(3, 1)).Assigned.Select(t => t.TenantId).ToHashSet();
        var backward = new TenantSharding(Options(3, 1, Tenants.Reverse())).Assigned.Select(t => t.TenantId).ToHashSet();

        Assert.Equal(forward, backward);
    }

    [Fact]
    public void Adding_a_shard_moves_only_the_new_shards_share()
    {
        var moved = Tenants.Where(t => TenantSharding.ShardOf(t, 3) != TenantSharding.ShardOf(t, 4)).ToList();

        Assert.All(moved, t => Assert.Equal(3, TenantSharding.ShardOf(t, 4)));
        Assert.InRange(moved.Count, 100, 200); // about a quarter of 600; mod-N hashing would move about three quarters
    }

    [Fact]
    public void Without_sharding_every_tenant_is_polled()
    {
        var sharding = new TenantSharding(Options(1, null));

        Assert.Equal(Tenants.Count, sharding.Assigned.Count);
        Assert.Equal(0, sharding.Index);
    }

    [Theory]
    [InlineData("entra-provisioning-exporter-2", 2)]
    [InlineData("exporter-0", 0)]
    [InlineData("release-exporter-13", 13)]
    [InlineData("exporter", null)]
    [InlineData("exporter-2a", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_shard_index_defaults_to_the_StatefulSet_ordinal_in_the_hostname(string? hostname, int? expected)
    {
        Assert.Equal(expected, ShardingOptions.OrdinalOf(hostname));
    }
}
