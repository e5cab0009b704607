using System.Globalization;
using System.Text;
using Azure.Core;
using Azure.Identity;
using EntraProvisioningExporter.Hosting;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;
using EntraProvisioningExporter.Simulator;
using EntraProvisioningExporter.Simulator.Scenario;
using EntraProvisioningExporter.Simulator.Time;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// --check against the simulator over real HTTP, with the exporter's own clients: a healthy tenant, each missing
/// permission or role, and a token that cannot be acquired; each says the fix, and no secret appears.
/// </summary>
public class SetupCheckTests
{
    private const string ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    private const string ClientSecret = "KNOWN-CLIENT-SECRET-5e1d0b";

    /// <summary>A token shaped like Entra's: a JWT whose claims name the app and its application permissions.</summary>
    private static string Jwt(params string[] roles)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var claims = $$"""{"aud":"https://graph.microsoft.com","appid":"{{ClientId}}","roles":"""
            + $$"""[{{string.Join(",", roles.Select(r => $"\"{r}\""))}}]}""";
        return $"{B64("""{"alg":"RS256","typ":"JWT"}""")}.{B64(claims)}.c2lnbmF0dXJl";
    }

    private sealed class FixedCredential(string? token, Exception? failure = null) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            failure is not null ? throw failure : new AccessToken(token!, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed record Outcome(int Exit, string Output);

    /// <summary>
    /// Runs --check against a simulated tenant. Log Analytics only takes tokens over HTTPS and the simulator speaks HTTP,
    /// so a Log Analytics tenant is checked without a token (Credential:Kind None); a Graph one with <paramref name="credential"/>.
    /// </summary>
    private static async Task<Outcome> CheckAsync(Action<SimulatorServer>? faults = null, TokenCredential? credential = null,
        string logSource = "Graph")
    {
        var withToken = logSource != "LogAnalytics";
        // Real time: --check runs one pass and waits on no timer of its own.
        var time = new AcceleratedTimeProvider(DateTimeOffset.UtcNow, 1);
        var tenant = DemoScenario.Create(time.GetUtcNow());
        await using var simulator = await TestSimulator.StartAsync([tenant], time);
        faults?.Invoke(simulator);
        string[] args =
        [
            "--Exporter:Tenants:0:Name", "Contoso",
            "--Exporter:Tenants:0:TenantId", tenant.TenantId,
            "--Exporter:Tenants:0:GraphEndpoint", simulator.GraphEndpoint(tenant.TenantId).ToString(),
            "--Exporter:Tenants:0:AllowTokenToLoopback", "true",
            "--Exporter:Tenants:0:Credential:Kind", withToken ? "ClientSecret" : "None",
            "--Exporter:Tenants:0:Credential:ClientId", ClientId,
            .. withToken ? ["--Exporter:Tenants:0:Credential:ClientSecret", ClientSecret] : Array.Empty<string>(),
            "--Exporter:Tenants:0:Logs:Source", logSource,
            .. logSource == "LogAnalytics"
                ? ["--Exporter:Tenants:0:Logs:WorkspaceId", tenant.WorkspaceId, "--Exporter:Tenants:0:Logs:Endpoint",
                    simulator.LogAnalyticsEndpoint(tenant.TenantId).ToString()]
                : Array.Empty<string>(),
            "--Exporter:HttpMaxRetries", "0",
            "--Exporter:MaxBatchRetries", "0",
        ];
        credential ??= new FixedCredential(Jwt("Application.Read.All", "AuditLog.Read.All", "Synchronization.Read.All"));
        var output = new StringWriter();
        var exit = await ExporterApplication.CheckAsync(args, new ExporterHostOptions
        {
            Time = time,
            Configure = b => b.Services.AddSingleton<CredentialFactory>(_ => withToken ? credential : null),
        }, output, output);
        var text = output.ToString();
        Assert.DoesNotContain(ClientSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Jwt("Application.Read.All", "AuditLog.Read.All", "Synchronization.Read.All").Split('.')[1], text,
            StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        return new Outcome(exit, text);
    }

    private static FaultRule Forbidden(string path, bool inBatch) => new()
    {
        Kind = FaultKind.Status, StatusCode = 403, ErrorCode = "Authorization_RequestDenied",
        ErrorMessage = "Insufficient privileges to complete the operation.", PathPattern = path, TopLevel = !inBatch, InBatch = inBatch,
    };

    [Fact]
    public async Task A_healthy_tenant_passes_every_step_and_says_who_what_and_how_fresh()
    {
        var (exit, output) = await CheckAsync();
        Assert.True(exit == 0, output);
        Assert.Contains("Tenant Contoso (", output, StringComparison.Ordinal);
        Assert.Contains($"ok    token: acquired (ClientSecret) for client id {ClientId}; application permissions in it: "
            + "Application.Read.All, AuditLog.Read.All, Synchronization.Read.All", output, StringComparison.Ordinal);
        Assert.Contains("ok    Graph: service principals listed (Application.Read.All)", output, StringComparison.Ordinal);
        Assert.Contains($"ok    Graph: provisioning jobs read (Synchronization.Read.All): {Demo.ServicePrincipalsWithJobs} service "
            + $"principals with jobs, {Demo.Jobs} jobs, 1 quarantined", output, StringComparison.Ordinal);
        Assert.Contains("quarantined now: Dropbox Business (EncounteredQuarantineException, error "
            + "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable, since ", output, StringComparison.Ordinal);
        Assert.Matches(@"ok    logs: Graph provisioning logs answers; its latest provisioning event is \d+ (seconds|minutes) old", output);
        Assert.EndsWith("All checks passed for 1 tenant(s).\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("^/servicePrincipals\\?", false, "Graph: listing service principals failed: Graph answered 403 Authorization_RequestDenied",
        "fix: grant the application permission Application.Read.All (Microsoft Graph) to client id " + ClientId + ", with admin consent.")]
    [InlineData("^/servicePrincipals/[^/]+/synchronization/jobs", true,
        "Graph: the jobs of {N} of {N} service principals could not be read ({N} forbidden)",
        "fix: grant the application permission Synchronization.Read.All (Microsoft Graph) to client id " + ClientId
        + ", with admin consent.")]
    public async Task A_missing_Graph_permission_is_named(string path, bool inBatch, string failure, string fix)
    {
        var (exit, output) = await CheckAsync(s => s.Faults.Add(Forbidden(path, inBatch)));
        Assert.True(exit == 1, output);
        Assert.Contains("FAIL  "
            + failure.Replace("{N}", Demo.ServicePrincipals.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
            output, StringComparison.Ordinal);
        Assert.Contains(fix, output, StringComparison.Ordinal);
        Assert.Contains("check(s) failed: see the fix under each FAIL.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workspace_that_refuses_names_the_Log_Analytics_Reader_role()
    {
        var healthy = await CheckAsync(logSource: "LogAnalytics");
        Assert.True(healthy.Exit == 0, healthy.Output);
        Assert.Matches(@"ok    logs: Log Analytics workspace [0-9a-f-]{36} answers; its latest provisioning "
            + @"event is \d+ (seconds|minutes) old", healthy.Output);

        var (exit, output) = await CheckAsync(s => s.Faults.Add(Forbidden("^/workspaces/", inBatch: false)), logSource: "LogAnalytics");
        Assert.True(exit == 1, output);
        Assert.Contains("ok    Graph: provisioning jobs read", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  logs: Log Analytics workspace ", output, StringComparison.Ordinal);
        // Without a token there is no identity to name beyond the configured client id.
        Assert.Matches($"fix: assign the Log Analytics Reader role on workspace [0-9a-f-]{{36}} to client id {ClientId}\\.", output);
    }

    [Fact]
    public async Task Graph_provisioning_logs_that_refuse_name_AuditLog_Read_All()
    {
        var (exit, output) = await CheckAsync(s => s.Faults.Add(Forbidden("^/auditLogs/provisioning", inBatch: false)));
        Assert.True(exit == 1, output);
        Assert.Contains("FAIL  logs: Graph provisioning logs failed: Graph answered 403 Authorization_RequestDenied", output,
            StringComparison.Ordinal);
        Assert.Contains($"fix: grant the application permission AuditLog.Read.All (Microsoft Graph) to client id "
            + $"{ClientId}, with admin consent.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_that_cannot_be_acquired_fails_first_names_the_settings_and_skips_the_rest()
    {
        var credential = new FixedCredential(null, new AuthenticationFailedException(
            $"ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in "
                + $"the request is the client secret value, not the client secret ID, for a secret added to app '{ClientId}'."));
        var (exit, output) = await CheckAsync(credential: credential);
        Assert.True(exit == 1, output);
        Assert.Contains($"FAIL  token: not acquired (ClientSecret, client id {ClientId}): Token acquisition failed: ClientSecretCredential "
            + "authentication failed: AADSTS7000215: Invalid client secret provided.", output, StringComparison.Ordinal);
        Assert.Contains("fix: check Exporter:Tenants:0:TenantId and Exporter:Tenants:0:Credential: the client id, the "
            + "secret or certificate (not expired)", output, StringComparison.Ordinal);
        Assert.Contains("skip  Graph and logs: no token to call them with", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ok    Graph", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task The_demo_passes_its_own_check_and_exits_0(string build)
    {
        await using var p = ManagedProcess.StartExporter(["--demo", "--check"], build: ExporterBuild.Named(build));
        var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, p.Describe());
        Assert.Contains("ok    Graph: provisioning jobs read (Synchronization.Read.All)", p.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("All checks passed for 1 tenant(s).", p.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Serving metrics", p.StandardOutput, StringComparison.Ordinal); // it checks; it does not serve
    }
}
