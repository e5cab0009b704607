using System.Globalization;
using System.Text.Json;
using EntraProvisioningExporter.IntegrationTests.Infrastructure;

namespace EntraProvisioningExporter.IntegrationTests;

/// <summary>
/// Logging:Console:FormatterName=json: every line of stdout is one JSON object from .NET's own formatter, a failed
/// cycle is a structured warning with its reason, and no secret (a token, the identity header, the /metrics token)
/// is in any of it.
/// </summary>
public class JsonLogsTests
{
    private const string IdentityHeader = "identity-header-SECRET-9c2e";
    private const string AccessToken = "eyJ0eXAiOiJKV1QiLCJhbGciOi.JSON-LOGS-SECRET-TOKEN";
    private const string MetricsToken = "METRICS-BEARER-SECRET-41aa";

    [Theory]
    [MemberData(nameof(ExporterBuild.Names), MemberType = typeof(ExporterBuild))]
    public async Task Json_console_logs_are_one_object_a_line_structured_and_free_of_secrets(string build)
    {
        await using var identity = await ManagedIdentityEndpoint.StartAsync(IdentityHeader, AccessToken);
        // Graph refuses the jobs: the exporter logs a warning per failed cycle.
        var forbidden = new FaultRule { Kind = FaultKind.Status, StatusCode = 403, ErrorCode = "Authorization_RequestDenied",
            PathPattern = "^/servicePrincipals", InBatch = false };
        await using var run = await SimulatedTenantRun.StartAsync(ExporterBuild.Named(build), _ =>
        [
            "--Exporter:Tenants:0:Credential:Kind", "ManagedIdentity",
            "--Exporter:Tenants:0:AllowTokenToLoopback", "true",
            "--Exporter:PollInterval", "00:00:02",
            "--Exporter:HttpMaxRetries", "0",
            "--Exporter:MetricsAuth:Mode", "Bearer",
            "--Exporter:MetricsAuth:BearerToken", MetricsToken,
            "--Logging:Console:FormatterName", "json",
        ], identity.Environment, forbidden);

        await Tools.Eventually(() => Task.FromResult(run.Exporter.StandardOutput.Contains("\"Reason\":\"forbidden\"",
            StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "a failed cycle logged: " + run.Exporter.Describe());
        run.Http.DefaultRequestHeaders.Authorization = new("Bearer", MetricsToken);
        Assert.True((await run.Http.GetAsync("metrics")).IsSuccessStatusCode);

        var lines = run.Exporter.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var events = lines.Select(line =>
        {
            using var doc = JsonDocument.Parse(line); // throws (and fails the test) on any line that is not one JSON object
            return doc.RootElement.Clone();
        }).ToList();
        Assert.All(events, e =>
        {
            Assert.True(DateTimeOffset.TryParse(e.GetProperty("Timestamp").GetString(), CultureInfo.InvariantCulture, out _));
            Assert.False(string.IsNullOrEmpty(e.GetProperty("LogLevel").GetString()));
            Assert.False(string.IsNullOrEmpty(e.GetProperty("Category").GetString()));
            Assert.False(string.IsNullOrEmpty(e.GetProperty("Message").GetString()));
        });
        Assert.Contains(events,
            e => e.GetProperty("Message").GetString()!.StartsWith("Serving metrics at http://127.0.0.1:", StringComparison.Ordinal));
        var failed = events.First(e => e.GetProperty("State").TryGetProperty("Reason", out var r) && r.GetString() == "forbidden");
        Assert.Equal("Warning", failed.GetProperty("LogLevel").GetString());
        Assert.Equal("graph_jobs", failed.GetProperty("State").GetProperty("Source").GetString());
        Assert.Contains("403", failed.GetProperty("State").GetProperty("Detail").GetString(), StringComparison.Ordinal);

        var everything = run.Exporter.StandardOutput + run.Exporter.StandardError;
        foreach (var secret in new[] { "SECRET-TOKEN", IdentityHeader, MetricsToken })
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
    }
}
