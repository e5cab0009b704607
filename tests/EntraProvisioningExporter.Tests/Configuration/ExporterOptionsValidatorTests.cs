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
            new TenantOptions { TenantId = "11111111-2222-3333-4444-555555555555", Cloud = "USGovernment",
                GraphEndpoint = new Uri("https://graph.microsoft.us/v1.0"),
                Credential = new CredentialOptions { Kind = "ClientSecret", ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                    ClientSecret = "s3cret" },
                Logs = new TenantLogOptions { Source = "LogAnalytics", WorkspaceId = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee",
                    Endpoint = new Uri("https://api.loganalytics.us/"), CustomQueries = [Query("my_metric")] } },
            new TenantOptions { TenantId = "22222222-2222-3333-4444-555555555555", GraphEndpoint = new Uri("http://127.0.0.1:5080/v1.0"),
                Credential = new CredentialOptions { Kind = "None" } },
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
        { "unknown credential kind", o => o.Tenants[0].Credential.Kind = "Password", "Exporter:Tenants:0:Credential:Kind",
            "expected one of Default, ClientSecret" },
        { "token to a non-Microsoft host", o => o.Tenants[0].GraphEndpoint = new Uri("https://graph.example.com/v1.0"),
            "Exporter:Tenants:0:GraphEndpoint", "only sent over HTTPS to a Microsoft Graph host" },
        { "token over plain HTTP", o => o.Tenants[0].GraphEndpoint = new Uri("http://graph.microsoft.com/v1.0"),
            "Exporter:Tenants:0:GraphEndpoint", "only sent over HTTPS" },
        { "no credential off loopback", o => o.Tenants[2].GraphEndpoint = new Uri("http://10.0.0.5:5080/v1.0"),
            "Exporter:Tenants:2:GraphEndpoint", "not a loopback host" },
        { "no credential without endpoint", o => o.Tenants[2].GraphEndpoint = null, "Exporter:Tenants:2:GraphEndpoint",
            "is required with Credential:Kind=None" },
        { "endpoint not v1.0", o => o.Tenants[1].GraphEndpoint = new Uri("https://graph.microsoft.us/beta"),
            "Exporter:Tenants:1:GraphEndpoint", "ending in /v1.0" },
        { "client secret without id", o => o.Tenants[1].Credential.ClientId = null, "Exporter:Tenants:1:Credential:ClientId",
            "is required" },
        { "client secret without secret", o => o.Tenants[1].Credential.ClientSecret = "", "Exporter:Tenants:1:Credential:ClientSecret",
            "is required" },
        { "certificate file missing",
            o => o.Tenants[1].Credential = new CredentialOptions { Kind = "ClientCertificate",
            ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", CertificatePath = "/nonexistent/cert.pfx" },
            "Exporter:Tenants:1:Credential:CertificatePath", "does not exist" },
        { "bad service principal id", o => o.Tenants[0].ServicePrincipals.Add("not-a-guid"), "Exporter:Tenants:0:ServicePrincipals:0",
            "not a service principal object id" },
        { "zero poll interval", o => o.PollInterval = TimeSpan.Zero, "Exporter:PollInterval", "positive duration" },
        { "negative poll interval", o => o.PollInterval = TimeSpan.FromSeconds(-5), "Exporter:PollInterval", "positive duration" },
        { "discovery shorter than poll", o => o.DiscoveryInterval = TimeSpan.FromSeconds(10), "Exporter:DiscoveryInterval",
            "at least Exporter:PollInterval" },
        { "poll timeout over interval", o => o.PollTimeout = TimeSpan.FromMinutes(5), "Exporter:PollTimeout", "must not exceed" },
        { "zero request timeout", o => o.RequestTimeout = TimeSpan.Zero, "Exporter:RequestTimeout", "positive duration" },
        { "concurrency out of range", o => o.MaxConcurrentRequestsPerTenant = 0, "Exporter:MaxConcurrentRequestsPerTenant",
            "between 1 and 20" },
        { "proportion over 1", o => o.Quarantine.FailureProportion = 40, "Exporter:Quarantine:FailureProportion", "at most 1" },
        { "zero total failures", o => o.Quarantine.TotalFailures = 0, "Exporter:Quarantine:TotalFailures", "greater than zero" },
        { "negative disable after", o => o.Quarantine.DisableAfter = TimeSpan.FromDays(-1), "Exporter:Quarantine:DisableAfter",
            "positive duration" },
        { "max jobs zero", o => o.MaxJobs = 0, "Exporter:MaxJobs", "between 1 and" },
        { "no shards", o => o.Sharding.Count = 0, "Exporter:Sharding:Count", "between 1 and 1000" },
        { "shard index past the count", o => { o.Sharding.Count = 3; o.Sharding.Index = 3; }, "Exporter:Sharding:Index",
            "between 0 and Exporter:Sharding:Count - 1 (2); got 3" },
        { "negative shard index", o => { o.Sharding.Count = 3; o.Sharding.Index = -1; }, "Exporter:Sharding:Index", "got -1" },
        { "sharded without an index", o => o.Sharding.Count = 2, "Exporter:Sharding:Index",
            "hostname does not end in a StatefulSet ordinal" },
        { "window shorter than interval", o => o.Logs.Window = TimeSpan.FromSeconds(30), "Exporter:Logs:Window",
            "at least Exporter:PollInterval" },
        { "lookback shorter than window", o => o.Logs.LastEventLookback = TimeSpan.FromMinutes(30), "Exporter:Logs:LastEventLookback",
            "at least Exporter:Logs:Window" },
        { "server timeout too long", o => o.Logs.ServerTimeout = TimeSpan.FromMinutes(11), "Exporter:Logs:ServerTimeout",
            "between 00:00:01 and 00:10:00" },
        { "no error codes", o => o.Logs.MaxErrorCodesPerJob = 0, "Exporter:Logs:MaxErrorCodesPerJob", "between 1 and 1000" },
        { "graph budget zero", o => o.Logs.GraphRequestsPer10Seconds = 0, "Exporter:Logs:GraphRequestsPer10Seconds", "between 1 and 100" },
        { "unknown log source", o => o.Tenants[0].Logs.Source = "Splunk", "Exporter:Tenants:0:Logs:Source",
            "expected one of None, LogAnalytics, Graph" },
        { "workspace missing", o => o.Tenants[1].Logs.WorkspaceId = null, "Exporter:Tenants:1:Logs:WorkspaceId",
            "is required for the LogAnalytics source" },
        { "workspace not a GUID", o => o.Tenants[1].Logs.WorkspaceId = "my-workspace", "Exporter:Tenants:1:Logs:WorkspaceId",
            "is not a GUID" },
        { "LA token to another host", o => o.Tenants[1].Logs.Endpoint = new Uri("https://logs.example.com/"),
            "Exporter:Tenants:1:Logs:Endpoint", "only sent over HTTPS to a Log Analytics host" },
        { "LA simulator off loopback",
            o => o.Tenants[2].Logs = new TenantLogOptions { Source = "LogAnalytics", WorkspaceId = Guid.Empty.ToString(),
            Endpoint = new Uri("http://10.1.1.1/") }, "Exporter:Tenants:2:Logs:Endpoint", "not a loopback host" },
        { "custom query without LA",
            o => o.Tenants[0].Logs = new TenantLogOptions { Source = "Graph", CustomQueries = [Query("my_metric")] },
            "Exporter:Tenants:0:Logs:CustomQueries", "need Logs:Source=LogAnalytics" },
        { "custom query bad name", o => o.Tenants[1].Logs.CustomQueries.Add(Query("my-metric")),
            "Exporter:Tenants:1:Logs:CustomQueries:1:Name", "'my-metric' is not a valid Prometheus metric name" },
        { "custom query clashes with built-in", o => o.Tenants[1].Logs.CustomQueries.Add(Query("entra_provisioning_job_info")),
            "Exporter:Tenants:1:Logs:CustomQueries:1:Name", "clashes with the exporter's built-in metrics" },
        { "custom query named like a counter", o => o.Tenants[1].Logs.CustomQueries.Add(Query("failures_total")),
            "Exporter:Tenants:1:Logs:CustomQueries:1:Name", "must not end in _total" },
        { "custom query without KQL", o => o.Tenants[1].Logs.CustomQueries.Add(Query("q2") with { Query = "" }),
            "Exporter:Tenants:1:Logs:CustomQueries:1 ('q2'):Query", "is required" },
        { "custom query label tenant_id", o => o.Tenants[1].Logs.CustomQueries.Add(Query("q2") with { LabelColumns = ["tenant_id"] }),
            "Exporter:Tenants:1:Logs:CustomQueries:1 ('q2'):LabelColumns", "added by the exporter" },
        { "custom query bad label", o => o.Tenants[1].Logs.CustomQueries.Add(Query("q2") with { LabelColumns = ["App Name"] }),
            "Exporter:Tenants:1:Logs:CustomQueries:1 ('q2'):LabelColumns", "not a valid Prometheus label name" },
        { "custom query unbounded", o => o.Tenants[1].Logs.CustomQueries.Add(Query("q2") with { MaxSeries = 0 }),
            "Exporter:Tenants:1:Logs:CustomQueries:1 ('q2'):MaxSeries", "between 1 and 10000" },
        { "custom query name reused with other labels",
            o => o.Tenants[1].Logs.CustomQueries.Add(Query("my_metric") with { LabelColumns = ["Other"] }),
            "Exporter:Tenants:1:Logs:CustomQueries:1:Name", "also declared at Exporter:Tenants:1:Logs:CustomQueries:0" },
    };

    private static CustomQueryOptions Query(string name)
        => new() { Name = name, Help = "h", Query = "AADProvisioningLogs | count", ValueColumn = "Count", LabelColumns = ["App"] };

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
