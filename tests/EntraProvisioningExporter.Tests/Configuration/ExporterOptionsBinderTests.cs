using EntraProvisioningExporter.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Tests.Configuration;

/// <summary>How a configuration becomes options, at start and at reload: every problem named by its own key.</summary>
public class ExporterOptionsBinderTests
{
    private const string A = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e", B = "11111111-2222-3333-4444-555555555555";

    private static (ExporterOptions? Options, IReadOnlyList<string> Problems) Bind(Dictionary<string, string?> settings, Dictionary<string,
        string>? secretFiles = null) =>
        ExporterOptionsBinder.Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), [new ExporterOptionsValidator()],
            secretFiles ?? []);

    [Fact]
    public void Tenants_numbered_from_0_without_gaps_bind()
    {
        var (options, problems) = Bind(new() { ["Exporter:Tenants:0:TenantId"] = A, ["Exporter:Tenants:1:TenantId"] = B });
        Assert.Empty(problems);
        Assert.Equal([A, B], options!.Tenants.Select(t => t.TenantId));
    }

    [Fact]
    public void A_secret_for_a_tenant_index_that_does_not_exist_is_named_by_its_own_index_and_its_file()
    {
        var (options, problems) = Bind(
            new() { ["Exporter:Tenants:0:TenantId"] = A, ["Exporter:Tenants:1:TenantId"] = B,
                ["Exporter:Tenants:5:Credential:ClientSecret"] = "five" },
            new() { ["Exporter:Tenants:5:Credential:ClientSecret"] = "/secrets/Exporter__Tenants__5__Credential__ClientSecret" });
        Assert.Null(options);
        var problem = Assert.Single(problems);
        Assert.Equal("Exporter:Tenants:5: no such tenant: tenants are numbered from 0 without gaps and the tenants are 0–1 (set only by "
            + "secret file /secrets/Exporter__Tenants__5__Credential__ClientSecret).", problem);
        Assert.DoesNotContain("Tenants:2", problem, StringComparison.Ordinal); // where the binder would have put it
    }

    [Fact]
    public void A_tenant_removed_from_the_middle_names_every_index_after_the_gap_by_its_keys_and_the_others_are_still_validated()
    {
        var (_, problems) = Bind(new()
        {
            ["Exporter:Tenants:0:TenantId"] = "not-a-guid",
            ["Exporter:Tenants:2:TenantId"] = A,
            ["Exporter:Tenants:3:TenantId"] = B,
        });
        Assert.Contains("Exporter:Tenants:0:TenantId: 'not-a-guid' is not a GUID.", problems);
        Assert.Contains("Exporter:Tenants:2: no such tenant: tenants are numbered from 0 without gaps and the only tenant is 0 (its "
            + "keys: Exporter:Tenants:2:TenantId).", problems);
        Assert.Contains("Exporter:Tenants:3: no such tenant: tenants are numbered from 0 without gaps and the only tenant is 0 (its "
            + "keys: Exporter:Tenants:3:TenantId).", problems);
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void A_value_that_does_not_convert_names_its_key_and_never_shows_a_secret_files_value()
    {
        var (_, problems) = Bind(
            new() { ["Exporter:Tenants:0:TenantId"] = A, ["Exporter:Tenants:0:AllowTokenToLoopback"] = "hunter2-secret" },
            new() { ["Exporter:Tenants:0:AllowTokenToLoopback"] = "/secrets/Exporter__Tenants__0__AllowTokenToLoopback" });
        var problem = Assert.Single(problems);
        Assert.Contains("Exporter:Tenants:0:AllowTokenToLoopback", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_problems_are_all_listed_with_their_keys()
    {
        var (_, problems) = Bind(new() { ["Exporter:PollInterval"] = "-00:00:05", ["Exporter:Tenants:0:TenantId"] = "contoso",
            ["Exporter:MetricsAuth:GracePeriod"] = "02:00:00" });
        Assert.Contains(problems, p => p.StartsWith("Exporter:PollInterval: must be a positive duration", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Exporter:Tenants:0:TenantId: 'contoso' is not a GUID", StringComparison.Ordinal));
        Assert.Contains("Exporter:MetricsAuth:GracePeriod: must be between 00:00:00 and 01:00:00; got 02:00:00.", problems);
    }
    [Theory]
    [InlineData("Exporter:Metrics:Exclude", "process_*")]
    [InlineData("Exporter:Metrics:Include", "entra_*")]
    [InlineData("Exporter:Tenants:0:ServicePrincipals", "7d0c3d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e")]
    public void A_single_value_where_a_list_is_expected_is_refused_rather_than_ignored(string key, string value)
    {
        // Exporter__Metrics__Exclude=process_* or "Exclude": "process_*": the binder would silently bind an empty list.
        var (options, problems) = Bind(new() { ["Exporter:Tenants:0:TenantId"] = A, [key] = value });
        Assert.Null(options);
        var problem = Assert.Single(problems);
        Assert.StartsWith($"{key}: is a list: give its entries as {key}:0, {key}:1", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(value, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_value_for_a_list_is_an_empty_list()
    {
        var (options, problems) = Bind(new() { ["Exporter:Tenants:0:TenantId"] = A, ["Exporter:Metrics:Exclude"] = "" });
        Assert.Empty(problems);
        Assert.Empty(options!.Metrics.Exclude);
    }
}
