using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Tests.Configuration;

public class ExporterOptionsValidatorTests
{
    private const string TenantId = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e";

    private static ExporterOptions Valid() => new()
    {
        Tenants =
        [
            new TenantOptions { TenantId = TenantId },
            new TenantOptions { TenantId = "11111111-2222-3333-4444-555555555555", Cloud = "USGovernment", GraphEndpoint = new Uri("https://graph.microsoft.us/v1.0"),
                Credential = new CredentialOptions { Kind = "ClientSecret", ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", ClientSecret = "s3cret" } },
            new TenantOptions { TenantId = "22222222-2222-3333-4444-555555555555", GraphEndpoint = new Uri("http://127.0.0.1:5080/v1.0"), Credential = new CredentialOptions { Kind = "None" } },
        ],
    };

    private static IReadOnlyList<string> Errors(ExporterOptions options)
    {
        var result = new ExporterOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.ToList() : [];
    }

    [Fact]
    public void A_valid_configuration_passes()
    {
        Assert.Empty(Errors(Valid()));
    }

    public static TheoryData<string, Action<ExporterOptions>, string, string> Invalid => new()
    {
        { "no tenants", o => o.Tenants.Clear(), "Exporter:Tenants", "at least one tenant" },
        { "missing tenant id", o => o.Tenants[0].TenantId = null, "Exporter:Tenants:0:TenantId", "is required" },
        { "bad tenant GUID", o => o.Tenants[0].TenantId = "contoso.onmicrosoft.com", "Exporter:Tenants:0:TenantId", "is not a GUID" },
        { "duplicate tenant", o => o.Tenants[1].TenantId = TenantId, "Exporter:Tenants:1:TenantId", "more than once" },
        { "unknown cloud", o => o.Tenants[0].Cloud = "Mars", "Exporter:Tenants:0:Cloud", "expected one of Public" },
        { "unknown credential kind", o => o.Tenants[0].Credential.Kind = "Password", "Exporter:Tenants:0:Credential:Kind", "expected one of Default, ClientSecret" },
        { "token to a non-Microsoft host", o => o.Tenants[0].GraphEndpoint = new Uri("https://graph.example.com/v1.0"), "Exporter:Tenants:0:GraphEndpoint", "only sent over HTTPS to a Microsoft Graph host" },
        { "token over plain HTTP", o => o.Tenants[0].GraphEndpoint = new Uri("http://graph.microsoft.com/v1.0"), "Exporter:Tenants:0:GraphEndpoint", "only sent over HTTPS" },
        { "no credential off loopback", o => o.Tenants[2].GraphEndpoint = new Uri("http://10.0.0.5:5080/v1.0"), "Exporter:Tenants:2:GraphEndpoint", "not a loopback host" },
        { "no credential without endpoint", o => o.Tenants[2].GraphEndpoint = null, "Exporter:Tenants:2:GraphEndpoint", "is required with Credential:Kind=None" },
        { "endpoint not v1.0", o => o.Tenants[1].GraphEndpoint = new Uri("https://graph.microsoft.us/beta"), "Exporter:Tenants:1:GraphEndpoint", "ending in /v1.0" },
        { "client secret without id", o => o.Tenants[1].Credential.ClientId = null, "Exporter:Tenants:1:Credential:ClientId", "is required" },
        { "client secret without secret", o => o.Tenants[1].Credential.ClientSecret = "", "Exporter:Tenants:1:Credential:ClientSecret", "is required" },
        { "certificate file missing", o => o.Tenants[1].Credential = new CredentialOptions { Kind = "ClientCertificate", ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", CertificatePath = "/nonexistent/cert.pfx" }, "Exporter:Tenants:1:Credential:CertificatePath", "does not exist" },
        { "bad service principal id", o => o.Tenants[0].ServicePrincipals.Add("not-a-guid"), "Exporter:Tenants:0:ServicePrincipals:0", "not a service principal object id" },
        { "zero poll interval", o => o.PollInterval = TimeSpan.Zero, "Exporter:PollInterval", "positive duration" },
        { "negative poll interval", o => o.PollInterval = TimeSpan.FromSeconds(-5), "Exporter:PollInterval", "positive duration" },
        { "discovery shorter than poll", o => o.DiscoveryInterval = TimeSpan.FromSeconds(10), "Exporter:DiscoveryInterval", "at least Exporter:PollInterval" },
        { "poll timeout over interval", o => o.PollTimeout = TimeSpan.FromMinutes(5), "Exporter:PollTimeout", "must not exceed" },
        { "zero request timeout", o => o.RequestTimeout = TimeSpan.Zero, "Exporter:RequestTimeout", "positive duration" },
        { "concurrency out of range", o => o.MaxConcurrentRequestsPerTenant = 0, "Exporter:MaxConcurrentRequestsPerTenant", "between 1 and 20" },
        { "proportion over 1", o => o.Quarantine.FailureProportion = 40, "Exporter:Quarantine:FailureProportion", "at most 1" },
        { "zero total failures", o => o.Quarantine.TotalFailures = 0, "Exporter:Quarantine:TotalFailures", "greater than zero" },
        { "negative disable after", o => o.Quarantine.DisableAfter = TimeSpan.FromDays(-1), "Exporter:Quarantine:DisableAfter", "positive duration" },
        { "max jobs zero", o => o.MaxJobs = 0, "Exporter:MaxJobs", "between 1 and" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_invalid_setting_is_reported_with_its_key(string _, Action<ExporterOptions> breakIt, string key, string expected)
    {
        var options = Valid();
        breakIt(options);
        var errors = Errors(options);
        var error = Assert.Single(errors);
        Assert.StartsWith(key + ": ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void All_errors_are_reported_at_once()
    {
        var options = Valid();
        options.PollInterval = TimeSpan.Zero;
        options.Tenants[0].TenantId = "x";
        options.Tenants[1].Credential.Kind = "Nope";
        var errors = Errors(options);
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Secrets_are_not_echoed_in_errors()
    {
        var options = Valid();
        options.Tenants[1].Credential.ClientId = "not-a-guid";
        options.Tenants[1].Credential.ClientSecret = "TopSecretValue";
        Assert.DoesNotContain(Errors(options), e => e.Contains("TopSecretValue", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://graph.microsoft.com/v1.0", true)]
    [InlineData("https://GRAPH.microsoft.com/v1.0", true)]
    [InlineData("https://dod-graph.microsoft.us/v1.0", true)]
    [InlineData("https://microsoftgraph.chinacloudapi.cn/v1.0", true)]
    [InlineData("http://graph.microsoft.com/v1.0", false)]
    [InlineData("https://graph.microsoft.com.evil.example/v1.0", false)]
    [InlineData("https://127.0.0.1/v1.0", false)]
    public void Tokens_only_go_to_Microsoft_Graph_over_HTTPS(string url, bool allowed)
    {
        Assert.Equal(allowed, GraphCloud.MayReceiveToken(new Uri(url)));
    }
}
