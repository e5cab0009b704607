using System.Security.Cryptography;
using System.Text;

namespace EntraProvisioningExporter.Simulator.Scenario;

/// <summary>A job's behaviour over time: its view at a wall-clock instant, given how long the scenario has run.</summary>
public delegate JobView JobScript(DateTimeOffset now, TimeSpan elapsed);

/// <summary>A job: its status over time, and (optionally) the provisioning log it writes.</summary>
public sealed record SimulatedJob(string Id, string TemplateId, JobScript Script, Logs.EventScript? Events = null);

public sealed record SimulatedServicePrincipal(string Id, string AppId, string DisplayName, IReadOnlyList<SimulatedJob> Jobs);

/// <summary>One simulated Entra tenant: its service principals (with and without provisioning jobs) and when its scenario began.</summary>
public sealed class SimulatedTenant
{
    private readonly Dictionary<string, SimulatedServicePrincipal> byId;

    public SimulatedTenant(string tenantId, DateTimeOffset scenarioStart, IReadOnlyList<SimulatedServicePrincipal> servicePrincipals)
    {
        TenantId = tenantId;
        ScenarioStart = scenarioStart;
        ServicePrincipals = servicePrincipals;
        byId = servicePrincipals.ToDictionary(sp => sp.Id, StringComparer.OrdinalIgnoreCase);
    }

    public string TenantId { get; }
    public DateTimeOffset ScenarioStart { get; }
    public IReadOnlyList<SimulatedServicePrincipal> ServicePrincipals { get; }

    public SimulatedServicePrincipal? Find(string id) => byId.GetValueOrDefault(id);

    /// <summary>The workspace the tenant's provisioning logs stream to (a stable GUID per tenant).</summary>
    public string WorkspaceId => StableGuid("workspace:" + TenantId);

    /// <summary>
    /// The x-ms-throttle-limit-percentage every Graph response carries (null: none, as when the app is under 0.8 of its
    /// limit); the text as sent, so a test can send what is not a number. Graph sends x-ms-resource-unit on every response.
    /// </summary>
    public string? ThrottleLimitPercentage { get; set; }

    /// <summary>The application the simulated Graph says the exporter is (the x-ms-throttle-scope of its 429s names it).</summary>
    public string ApplicationId => StableGuid("exporter-app:" + TenantId);

    /// <summary>Every event of every job with activity time in (from, to], in time order.</summary>
    public IEnumerable<Logs.ProvisioningEvent> Events(DateTimeOffset from, DateTimeOffset to) =>
        ServicePrincipals.SelectMany(sp => sp.Jobs.Where(j => j.Events is not null)
                .SelectMany(j => j.Events!.Between(TenantId, sp.Id, sp.DisplayName, j.Id, from, to)))
            .OrderBy(e => e.ActivityDateTime).ThenBy(e => e.Id, StringComparer.Ordinal);

    /// <summary>A stable GUID from a name, so scenario ids are the same on every run (golden files depend on it).</summary>
    public static string StableGuid(string name)
    {
        var hash = MD5.HashData(Encoding.UTF8.GetBytes(name));
        return new Guid(hash).ToString();
    }

    /// <summary>Graph's job id shape: {templateId}.{32 hex}.{guid}.</summary>
    public static string JobId(string templateId, string name) =>
        $"{templateId}.{StableGuid(name + "#hex").Replace("-", "", StringComparison.Ordinal)}.{StableGuid(name + "#job")}";
}
