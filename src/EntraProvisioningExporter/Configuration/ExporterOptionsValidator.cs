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
            if (timeout > options.PollInterval) Error($"{S}:PollTimeout",
                $"must not exceed {S}:PollInterval ({options.PollInterval}), or cycles would overlap.");
        }
        if (options.DiscoveryInterval > TimeSpan.Zero && options.DiscoveryInterval < options.PollInterval)
            Error($"{S}:DiscoveryInterval", $"must be at least {S}:PollInterval ({options.PollInterval}).");
        if (options.MaxConcurrentRequestsPerTenant is < 1 or > 20)
            Error($"{S}:MaxConcurrentRequestsPerTenant", "must be between 1 and 20.");
        if (options.MaxBatchRetries is < 0 or > 10)
            Error($"{S}:MaxBatchRetries", "must be between 0 and 10.");
        if (options.HttpMaxRetries is < 0 or > 10)
            Error($"{S}:HttpMaxRetries", "must be between 0 and 10.");
        if (options.HttpRetryDelay < TimeSpan.Zero || options.HttpRetryDelay > TimeSpan.FromMinutes(1))
            Error($"{S}:HttpRetryDelay", "must be between 00:00:00 and 00:01:00.");
        var auth = options.MetricsAuth;
        var mode = MetricsAuthMode.All.FirstOrDefault(m => m.Equals(auth.Mode, StringComparison.OrdinalIgnoreCase));
        if (mode is null)
            Error($"{S}:MetricsAuth:Mode", $"'{auth.Mode}' is not a known mode; expected one of {string.Join(", ", MetricsAuthMode.All)}.");
        else if (mode == MetricsAuthMode.Bearer && (auth.BearerToken?.Length ?? 0) < 16)
            Error($"{S}:MetricsAuth:BearerToken", "is required for Mode=Bearer and must be at least 16 characters.");
        else if (mode == MetricsAuthMode.Basic
            && (string.IsNullOrEmpty(auth.Username) || (auth.Password?.Length ?? 0) < 12
            || auth.Username.Contains(':', StringComparison.Ordinal)))
            Error($"{S}:MetricsAuth", "Mode=Basic needs Username (without ':') and a Password of at least 12 characters.");
        if (auth.GracePeriod < TimeSpan.Zero || auth.GracePeriod > TimeSpan.FromHours(1))
            Error($"{S}:MetricsAuth:GracePeriod", $"must be between 00:00:00 and 01:00:00; got {auth.GracePeriod}.");
        if (options.MaxJobs is < 1 or > 1_000_000)
            Error($"{S}:MaxJobs", "must be between 1 and 1000000.");

        var q = options.Quarantine;
        if (q.MinimumOperations < 0) Error($"{S}:Quarantine:MinimumOperations", "must be zero or more.");
        if (!(q.FailureProportion > 0 && q.FailureProportion <= 1)) Error($"{S}:Quarantine:FailureProportion",
            "must be greater than 0 and at most 1 (e.g. 0.4 for 40 %).");
        if (q.NonReferenceFailures <= 0) Error($"{S}:Quarantine:NonReferenceFailures", "must be greater than zero.");
        if (q.TotalFailures <= 0) Error($"{S}:Quarantine:TotalFailures", "must be greater than zero.");
        Positive(errors, $"{S}:Quarantine:DisableAfter", q.DisableAfter);

        ValidateLogs(options, Error);

        var sharding = options.Sharding;
        if (sharding.Count is < 1 or > 1000)
            Error($"{S}:Sharding:Count", "must be between 1 and 1000.");
        else if (sharding.Index is { } index && (index < 0 || index >= sharding.Count))
            Error($"{S}:Sharding:Index", $"must be between 0 and {S}:Sharding:Count - 1 ({sharding.Count - 1}); got {index}.");
        else if (sharding.Count > 1 && sharding.Index is null)
            Error($"{S}:Sharding:Index",
                $"is required with {S}:Sharding:Count > 1 when the hostname does not end in a StatefulSet ordinal (such as exporter-0).");

        if (options.Tenants.Count == 0)
            Error($"{S}:Tenants", "at least one tenant is required (or start with --demo to watch a simulated tenant).");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var customQueries = new Dictionary<string, (string Key, string Labels)>(StringComparer.Ordinal);
        for (var i = 0; i < options.Tenants.Count; i++)
        {
            ValidateTenant($"{S}:Tenants:{i}", options.Tenants[i], seen, Error);
            ValidateTenantLogs($"{S}:Tenants:{i}:Logs", options.Tenants[i], customQueries, Error);
        }

        // Checked against every family these options define (custom queries included) and the process families.
        if (options.Metrics.Include.Count > 0 || options.Metrics.Exclude.Count > 0)
        {
            var names = Metrics.MetricTable.BuildAll(options).Families.Select(f => f.Name).Concat(Exposition.ProcessMetrics.Names).ToList();
            Metrics.MetricSelection.Validate(options.Metrics, names, Error);
        }

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
                    error(endpointKey,
                        $"the no-credential mode (Credential:Kind=None) is only for a simulator on loopback; "
                            + $"'{endpoint.Host}' is not a loopback host.");
            }
            else if (knownKind is not null && tenant.AllowTokenToLoopback)
            {
                if (!GraphCloud.IsLoopback(endpoint))
                    error($"{key}:AllowTokenToLoopback", $"only allows a loopback endpoint; '{endpoint.Host}' is not one.");
            }
            else if (knownKind is not null && !GraphCloud.MayReceiveToken(endpoint))
            {
                error(endpointKey,
                    $"tokens are only sent over HTTPS to a Microsoft Graph host "
                        + $"({string.Join(", ", GraphCloud.MicrosoftGraphHosts)}); '{endpoint}' is not one.");
            }
            if (endpoint.IsAbsoluteUri && !endpoint.AbsolutePath.TrimEnd('/').EndsWith("/v1.0", StringComparison.Ordinal))
                error(endpointKey,
                    $"must be a Graph v1.0 base URL ending in /v1.0, such as https://graph.microsoft.com/v1.0; got '{endpoint}'.");
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
                if (string.IsNullOrEmpty(c.ClientSecret)) error($"{key}:Credential:ClientSecret",
                    "is required for the ClientSecret credential.");
                break;
            case CredentialKind.ClientCertificate:
                RequireGuid($"{key}:Credential:ClientId", c.ClientId, error);
                if (string.IsNullOrWhiteSpace(c.CertificatePath)) error($"{key}:Credential:CertificatePath",
                    "is required for the ClientCertificate credential (a PFX or PEM file).");
                else if (!File.Exists(c.CertificatePath)) error($"{key}:Credential:CertificatePath",
                    $"file '{c.CertificatePath}' does not exist.");
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

    private static void ValidateLogs(ExporterOptions options, Action<string, string> error)
    {
        var l = options.Logs;
        var key = $"{S}:Logs";
        if (l.Window <= TimeSpan.Zero) error($"{key}:Window", $"must be a positive duration such as 01:00:00; got {l.Window}.");
        else if (l.Window < options.PollInterval) error($"{key}:Window",
            $"must be at least {S}:PollInterval ({options.PollInterval}); a window shorter than the interval misses events between polls.");
        if (l.LastEventLookback < l.Window) error($"{key}:LastEventLookback", $"must be at least {key}:Window ({l.Window}).");
        if (l.IngestionSettle < TimeSpan.Zero) error($"{key}:IngestionSettle", "must be zero or more.");
        if (l.MaxIngestionDelay <= TimeSpan.Zero) error($"{key}:MaxIngestionDelay", "must be a positive duration.");
        if (l.ServerTimeout < TimeSpan.FromSeconds(1) || l.ServerTimeout > TimeSpan.FromMinutes(10)) error($"{key}:ServerTimeout",
            "must be between 00:00:01 and 00:10:00 (the service's maximum).");
        if (l.MaxErrorCodesPerJob is < 1 or > 1000) error($"{key}:MaxErrorCodesPerJob", "must be between 1 and 1000.");
        if (l.GraphOverlap < TimeSpan.Zero) error($"{key}:GraphOverlap", "must be zero or more.");
        if (l.GraphRequestsPer10Seconds is < 1 or > 100) error($"{key}:GraphRequestsPer10Seconds", "must be between 1 and 100.");
        if (l.GraphPageSize is < 1 or > 1000) error($"{key}:GraphPageSize", "must be between 1 and 1000.");
    }

    private static void ValidateTenantLogs(string key, TenantOptions tenant, Dictionary<string, (string Key, string Labels)> customQueries,
        Action<string, string> error)
    {
        var logs = tenant.Logs;
        var source = LogSourceKind.All.FirstOrDefault(k => k.Equals(logs.Source, StringComparison.OrdinalIgnoreCase));
        if (source is null)
        {
            error($"{key}:Source", $"'{logs.Source}' is not a known log source; expected one of {string.Join(", ", LogSourceKind.All)}.");
            return;
        }
        if (source == LogSourceKind.LogAnalytics)
        {
            if (string.IsNullOrWhiteSpace(logs.WorkspaceId)) error($"{key}:WorkspaceId",
                "is required for the LogAnalytics source (the workspace id, a GUID).");
            else if (!Guid.TryParse(logs.WorkspaceId, out _)) error($"{key}:WorkspaceId", $"'{logs.WorkspaceId}' is not a GUID.");
            if (logs.Endpoint is { } endpoint)
            {
                var none = string.Equals(tenant.Credential.Kind, CredentialKind.None, StringComparison.OrdinalIgnoreCase);
                if (!endpoint.IsAbsoluteUri) error($"{key}:Endpoint", $"'{endpoint}' is not an absolute URL.");
                else if (none && !GraphCloud.IsLoopback(endpoint))
                    error($"{key}:Endpoint",
                        $"the no-credential mode is only for a simulator on loopback; '{endpoint.Host}' is not a loopback host.");
                else if (!none && tenant.AllowTokenToLoopback)
                {
                    if (!GraphCloud.IsLoopback(endpoint))
                        error($"{key}:Endpoint", $"AllowTokenToLoopback only allows a loopback endpoint; '{endpoint.Host}' is not one.");
                    else if (endpoint.Scheme != Uri.UriSchemeHttps)
                        error($"{key}:Endpoint",
                            "Log Analytics tokens need HTTPS even to loopback (Azure.Core refuses bearer tokens over plain HTTP).");
                }
                else if (!none && !LogAnalyticsCloud.MayReceiveToken(endpoint))
                    error($"{key}:Endpoint",
                        $"tokens are only sent over HTTPS to a Log Analytics host "
                            + $"({string.Join(", ", LogAnalyticsCloud.Hosts)}); '{endpoint}' is not one.");
            }
            else if (string.Equals(tenant.Credential.Kind, CredentialKind.None, StringComparison.OrdinalIgnoreCase))
            {
                error($"{key}:Endpoint", "is required with Credential:Kind=None (the simulator's loopback URL).");
            }
        }
        if (logs.CustomQueries.Count > 0 && source != LogSourceKind.LogAnalytics)
            error($"{key}:CustomQueries", "custom queries are KQL and need Logs:Source=LogAnalytics.");
        for (var i = 0; i < logs.CustomQueries.Count; i++)
            ValidateCustomQuery($"{key}:CustomQueries:{i}", logs.CustomQueries[i], customQueries, error);
    }

    private static readonly System.Text.RegularExpressions.Regex MetricName = new("^[a-zA-Z_:][a-zA-Z0-9_:]*$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    private static readonly System.Text.RegularExpressions.Regex LabelName = new("^[a-zA-Z_][a-zA-Z0-9_]*$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static void ValidateCustomQuery(string key, CustomQueryOptions q, Dictionary<string, (string Key, string Labels)> seen,
        Action<string, string> error)
    {
        var name = q.Name ?? "";
        var label = string.IsNullOrEmpty(name) ? key : $"{key} ('{name}')";
        if (string.IsNullOrWhiteSpace(q.Name)) error($"{key}:Name", "is required (the metric name).");
        else if (!MetricName.IsMatch(name)) error($"{key}:Name",
            $"'{name}' is not a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).");
        else if (name.StartsWith("entra_provisioning_", StringComparison.Ordinal)
            || name.StartsWith("entra_exporter_", StringComparison.Ordinal))
            error($"{key}:Name",
                $"'{name}' clashes with the exporter's built-in metrics (entra_provisioning_*, entra_exporter_*); choose another prefix.");
        else if (name.EndsWith("_total", StringComparison.Ordinal) || name.EndsWith("_count", StringComparison.Ordinal)
            || name.EndsWith("_sum", StringComparison.Ordinal) || name.EndsWith("_bucket", StringComparison.Ordinal))
            error($"{key}:Name", $"'{name}' is exported as a gauge, so it must not end in _total, _count, _sum or _bucket.");
        if (string.IsNullOrWhiteSpace(q.Query)) error($"{label}:Query", "is required (the KQL).");
        if (string.IsNullOrWhiteSpace(q.ValueColumn)) error($"{label}:ValueColumn", "is required (the numeric column that is the value).");
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in q.LabelColumns)
        {
            if (!LabelName.IsMatch(column) || column.StartsWith("__", StringComparison.Ordinal))
                error($"{label}:LabelColumns", $"'{column}' is not a valid Prometheus label name.");
            else if (column == "tenant_id")
                error($"{label}:LabelColumns", "'tenant_id' is added by the exporter; rename the column.");
            else if (!labels.Add(column))
                error($"{label}:LabelColumns", $"'{column}' is listed twice.");
        }
        if (q.MaxSeries is < 1 or > 10_000) error($"{label}:MaxSeries", "must be between 1 and 10000.");
        if (q.TimeRange <= TimeSpan.Zero) error($"{label}:TimeRange", "must be a positive duration.");
        if (!string.IsNullOrEmpty(name))
        {
            var signature = string.Join(",", q.LabelColumns.Order(StringComparer.Ordinal));
            if (seen.TryGetValue(name, out var other) && other.Labels != signature)
                error($"{key}:Name",
                    $"'{name}' is also declared at {other.Key} with other label columns; one metric has one set of labels.");
            else seen.TryAdd(name, (key, signature));
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
