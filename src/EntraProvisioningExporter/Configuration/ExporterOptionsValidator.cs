using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Configuration;

/// <summary>
/// Checks the whole "Exporter" section at start-up and reports every problem at once, each with the
/// configuration key it concerns and what is expected (as .NET Aspire's dashboard options validator does).
/// </summary>
public sealed class ExporterOptionsValidator : IValidateOptions<ExporterOptions>
{
    private const string S = ExporterOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ExporterOptions options)
    {
        var errors = new List<string>();
        void Error(string key, string message) => errors.Add($"{key}: {message}");

        Positive(errors, $"{S}:PollInterval", options.PollInterval);
        Positive(errors, $"{S}:DiscoveryInterval", options.DiscoveryInterval);
        Positive(errors, $"{S}:RequestTimeout", options.RequestTimeout);
        if (options.PollTimeout is { } timeout)
        {
            Positive(errors, $"{S}:PollTimeout", timeout);
            if (timeout > options.PollInterval) Error($"{S}:PollTimeout", $"must not exceed {S}:PollInterval ({options.PollInterval}), or cycles would overlap.");
        }
        if (options.DiscoveryInterval > TimeSpan.Zero && options.DiscoveryInterval < options.PollInterval)
            Error($"{S}:DiscoveryInterval", $"must be at least {S}:PollInterval ({options.PollInterval}).");
        if (options.MaxConcurrentRequestsPerTenant is < 1 or > 20)
            Error($"{S}:MaxConcurrentRequestsPerTenant", "must be between 1 and 20.");
        if (options.MaxBatchRetries is < 0 or > 10)
            Error($"{S}:MaxBatchRetries", "must be between 0 and 10.");
        if (options.MaxJobs is < 1 or > 1_000_000)
            Error($"{S}:MaxJobs", "must be between 1 and 1000000.");

        var q = options.Quarantine;
        if (q.MinimumOperations < 0) Error($"{S}:Quarantine:MinimumOperations", "must be zero or more.");
        if (!(q.FailureProportion > 0 && q.FailureProportion <= 1)) Error($"{S}:Quarantine:FailureProportion", "must be greater than 0 and at most 1 (e.g. 0.4 for 40 %).");
        if (q.NonReferenceFailures <= 0) Error($"{S}:Quarantine:NonReferenceFailures", "must be greater than zero.");
        if (q.TotalFailures <= 0) Error($"{S}:Quarantine:TotalFailures", "must be greater than zero.");
        Positive(errors, $"{S}:Quarantine:DisableAfter", q.DisableAfter);

        if (options.Tenants.Count == 0)
            Error($"{S}:Tenants", "at least one tenant is required (or start with --demo to watch a simulated tenant).");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Tenants.Count; i++)
            ValidateTenant($"{S}:Tenants:{i}", options.Tenants[i], seen, Error);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateTenant(string key, TenantOptions tenant, HashSet<string> seen, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(tenant.TenantId))
            error($"{key}:TenantId", "is required (the directory (tenant) id, a GUID).");
        else if (!Guid.TryParse(tenant.TenantId, out _))
            error($"{key}:TenantId", $"'{tenant.TenantId}' is not a GUID.");
        else if (!seen.Add(tenant.TenantId))
            error($"{key}:TenantId", $"tenant '{tenant.TenantId}' is configured more than once.");

        if (!GraphCloud.IsKnown(tenant.Cloud))
            error($"{key}:Cloud", $"'{tenant.Cloud}' is not a known cloud; expected one of {string.Join(", ", GraphCloud.Names)}.");

        var kind = tenant.Credential.Kind;
        var kindKey = $"{key}:Credential:Kind";
        var knownKind = CredentialKind.All.FirstOrDefault(k => k.Equals(kind, StringComparison.OrdinalIgnoreCase));
        if (knownKind is null)
            error(kindKey, $"'{kind}' is not a known credential kind; expected one of {string.Join(", ", CredentialKind.All)}.");

        if (tenant.GraphEndpoint is { } endpoint)
        {
            var endpointKey = $"{key}:GraphEndpoint";
            if (!endpoint.IsAbsoluteUri)
                error(endpointKey, $"'{endpoint}' is not an absolute URL.");
            else if (knownKind == CredentialKind.None)
            {
                if (!GraphCloud.IsLoopback(endpoint))
                    error(endpointKey, $"the no-credential mode (Credential:Kind=None) is only for a simulator on loopback; '{endpoint.Host}' is not a loopback host.");
            }
            else if (knownKind is not null && !GraphCloud.MayReceiveToken(endpoint))
            {
                error(endpointKey, $"tokens are only sent over HTTPS to a Microsoft Graph host ({string.Join(", ", GraphCloud.MicrosoftGraphHosts)}); '{endpoint}' is not one.");
            }
            if (endpoint.IsAbsoluteUri && !endpoint.AbsolutePath.TrimEnd('/').EndsWith("/v1.0", StringComparison.Ordinal))
                error(endpointKey, $"must be a Graph v1.0 base URL ending in /v1.0, such as https://graph.microsoft.com/v1.0; got '{endpoint}'.");
        }
        else if (knownKind == CredentialKind.None)
        {
            error($"{key}:GraphEndpoint", "is required with Credential:Kind=None (the simulator's loopback URL).");
        }

        var c = tenant.Credential;
        switch (knownKind)
        {
            case CredentialKind.ClientSecret:
                RequireGuid($"{key}:Credential:ClientId", c.ClientId, error);
                if (string.IsNullOrEmpty(c.ClientSecret)) error($"{key}:Credential:ClientSecret", "is required for the ClientSecret credential.");
                break;
            case CredentialKind.ClientCertificate:
                RequireGuid($"{key}:Credential:ClientId", c.ClientId, error);
                if (string.IsNullOrWhiteSpace(c.CertificatePath)) error($"{key}:Credential:CertificatePath", "is required for the ClientCertificate credential (a PFX or PEM file).");
                else if (!File.Exists(c.CertificatePath)) error($"{key}:Credential:CertificatePath", $"file '{c.CertificatePath}' does not exist.");
                break;
            case CredentialKind.WorkloadIdentity or CredentialKind.ManagedIdentity or CredentialKind.Default:
                if (!string.IsNullOrEmpty(c.ClientId) && !Guid.TryParse(c.ClientId, out _))
                    error($"{key}:Credential:ClientId", $"'{c.ClientId}' is not a GUID.");
                break;
        }

        for (var i = 0; i < tenant.ServicePrincipals.Count; i++)
        {
            if (!Guid.TryParse(tenant.ServicePrincipals[i], out _))
                error($"{key}:ServicePrincipals:{i}", $"'{tenant.ServicePrincipals[i]}' is not a service principal object id (a GUID).");
        }
    }

    private static void RequireGuid(string key, string? value, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(value)) error(key, "is required (the application (client) id, a GUID).");
        else if (!Guid.TryParse(value, out _)) error(key, $"'{value}' is not a GUID.");
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero) errors.Add($"{key}: must be a positive duration such as 00:01:00; got {value}.");
    }
}
