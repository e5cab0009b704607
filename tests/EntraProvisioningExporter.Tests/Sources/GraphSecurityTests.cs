using System.Net;
using System.Net.Http.Headers;
using Azure.Identity;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Graph;
using Microsoft.Graph.Models.ODataErrors;

namespace EntraProvisioningExporter.Tests.Sources;

public class GraphSecurityTests
{
    private sealed class Terminal : HttpMessageHandler
    {
        public int Calls;
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }

    [Theory]
    [InlineData("https://graph.microsoft.com/v1.0/$batch", true, true)]
    [InlineData("https://graph.microsoft.us/v1.0/$batch", true, true)]
    [InlineData("http://graph.microsoft.com/v1.0/$batch", true, false)]
    [InlineData("https://evil.example/v1.0/$batch", true, false)]
    [InlineData("http://127.0.0.1:5080/v1.0/$batch", true, false)]
    [InlineData("http://127.0.0.1:5080/v1.0/$batch", false, true)]
    public async Task A_bearer_token_only_leaves_over_HTTPS_for_a_Microsoft_Graph_host(string url, bool withToken, bool allowed)
    {
        var terminal = new Terminal();
        using var client = new HttpClient(new TokenDestinationGuardHandler { InnerHandler = terminal });
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        if (withToken) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "eyJ0eXAiOiJKV1Qi.secret-token");
        if (allowed)
        {
            using var response = await client.SendAsync(request);
            Assert.Equal(1, terminal.Calls);
        }
        else
        {
            var ex = await Assert.ThrowsAsync<TokenDestinationRefusedException>(() => client.SendAsync(request));
            Assert.Equal(0, terminal.Calls);
            Assert.DoesNotContain("secret-token", ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Default", typeof(DefaultAzureCredential))]
    [InlineData("default", typeof(DefaultAzureCredential))]
    [InlineData("ClientSecret", typeof(ClientSecretCredential))]
    [InlineData("WorkloadIdentity", typeof(WorkloadIdentityCredential))]
    [InlineData("ManagedIdentity", typeof(ManagedIdentityCredential))]
    public void Each_credential_kind_builds_its_Azure_Identity_credential(string kind, Type expected)
    {
        var tenant = new TenantOptions
        {
            TenantId = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e",
            Credential = new CredentialOptions { Kind = kind, ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", ClientSecret = "s",
                TokenFilePath = "/var/run/secrets/token" },
        };
        Assert.IsType(expected, TokenCredentialFactory.Create(tenant));
    }

    [Theory]
    [InlineData(null, "https://graph.microsoft.com/.default")]
    [InlineData("Public", "https://graph.microsoft.com/.default")]
    [InlineData("USGovernment", "https://graph.microsoft.us/.default")]
    [InlineData("USGovernmentDoD", "https://dod-graph.microsoft.us/.default")]
    [InlineData("China", "https://microsoftgraph.chinacloudapi.cn/.default")]
    public void The_token_is_asked_for_the_clouds_Graph_whatever_host_the_requests_go_to(string? cloud, string scope) =>
        Assert.Equal(scope, GraphCloud.Scope(cloud));

    [Fact]
    public void The_no_credential_mode_builds_no_credential()
    {
        Assert.Null(TokenCredentialFactory.Create(new TenantOptions { TenantId = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e",
            Credential = new CredentialOptions { Kind = "None" } }));
    }

    public static TheoryData<Exception, string> Failures => new()
    {
        { new ODataError { ResponseStatusCode = 401 }, "auth" },
        { new ODataError { ResponseStatusCode = 403,
            Error = new MainError { Code = "Authorization_RequestDenied",
            Message = "Insufficient privileges to complete the operation." } }, "forbidden" },
        { new ODataError { ResponseStatusCode = 429 }, "throttled" },
        { new ODataError { ResponseStatusCode = 503 }, "server_error" },
        { new ODataError { ResponseStatusCode = 400 }, "client_error" },
        { new AuthenticationFailedException("AADSTS7000215: Invalid client secret provided."), "auth" },
        { new TokenDestinationRefusedException("refused"), "auth" },
        { new TaskCanceledException(), "timeout" },
        { new HttpRequestException("Connection refused (127.0.0.1:1)"), "network" },
        { new HttpRequestException("bad gateway", null, HttpStatusCode.BadGateway), "server_error" },
        { new System.Text.Json.JsonException("'<' is an invalid start of a value."), "bad_response" },
        { new InvalidDataException("Graph's service principal paging did not end"), "bad_response" },
        { new NullReferenceException(), "internal" },
        { new Microsoft.Kiota.Abstractions.ApiException("The server returned an unexpected content type."), "bad_response" },
        { new AggregateException(new HttpRequestException("failed", null, HttpStatusCode.ServiceUnavailable)), "server_error" },
        { new AggregateException(new TaskCanceledException()), "timeout" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Failures_map_to_a_bounded_reason(Exception exception, string reason)
    {
        var (actual, detail) = PollErrorClassifier.Classify(exception);
        Assert.Equal(reason, actual);
        Assert.Contains(actual, PollErrorReason.All);
        Assert.False(string.IsNullOrWhiteSpace(detail));
    }

    [Fact]
    public void A_403_detail_carries_Graphs_own_words_about_the_missing_permission()
    {
        var (_, detail) = PollErrorClassifier.Classify(new ODataError { ResponseStatusCode = 403,
            Error = new MainError { Code = "Authorization_RequestDenied",
            Message = "Insufficient privileges to complete the operation." } });
        Assert.Contains("Authorization_RequestDenied", detail, StringComparison.Ordinal);
        Assert.Contains("Insufficient privileges", detail, StringComparison.Ordinal);
    }
}
