namespace EntraProvisioningExporter.Configuration;

/// <summary>The "Exporter" configuration section. Every key is documented in docs/configuration.md.</summary>
public sealed class ExporterOptions
{
    public const string SectionName = "Exporter";

    /// <summary>How often each tenant's jobs are polled.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one poll cycle may take before it is abandoned; defaults to 90 % of the interval, at most 5 minutes.</summary>
    public TimeSpan? PollTimeout { get; set; }

    /// <summary>How often service principals with jobs are rediscovered (when they are not listed explicitly).</summary>
    public TimeSpan DiscoveryInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Timeout of one HTTP request to Graph.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many Graph requests in flight per tenant.</summary>
    public int MaxConcurrentRequestsPerTenant { get; set; } = 4;

    /// <summary>
    /// Retries of throttled or failed requests inside a $batch before a service principal's jobs count as failed for the cycle.
    /// </summary>
    public int MaxBatchRetries { get; set; } = 3;

    /// <summary>
    /// Retries of a throttled or unavailable (429, 503, 504) HTTP request; Retry-After is honoured, else exponential backoff.
    /// </summary>
    public int HttpMaxRetries { get; set; } = 3;

    /// <summary>First backoff of those retries when the service gives no Retry-After.</summary>
    public TimeSpan HttpRetryDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Optional protection of /metrics (off by default).</summary>
    public MetricsAuthOptions MetricsAuth { get; set; } = new();

    /// <summary>
    /// Sizes the OTLP exporter's cardinality limits: no series is dropped over OTLP up to this many jobs (unused without OTLP).
    /// </summary>
    public int MaxJobs { get; set; } = 10_000;

    public QuarantineOptions Quarantine { get; set; } = new();

    public LogsOptions Logs { get; set; } = new();

    public List<TenantOptions> Tenants { get; set; } = [];

    /// <summary>Splitting the tenants across replicas (off: Count = 1).</summary>
    public ShardingOptions Sharding { get; set; } = new();

    /// <summary>Which metric families are exposed (all by default); read at start only.</summary>
    public MetricsOptions Metrics { get; set; } = new();

    public TimeSpan EffectivePollTimeout =>
        PollTimeout ?? TimeSpan.FromTicks(Math.Min(PollInterval.Ticks / 10 * 9, TimeSpan.FromMinutes(5).Ticks));
}

/// <summary>
/// Metric-family allow or deny list (one of the two): glob patterns (* and ?) over family names, process and runtime
/// families included. See EntraProvisioningExporter.Metrics.MetricSelection.
/// </summary>
public sealed class MetricsOptions
{
    /// <summary>Only the families these patterns match are exposed.</summary>
    public List<string> Include { get; set; } = [];

    /// <summary>The families these patterns match are not exposed.</summary>
    public List<string> Exclude { get; set; } = [];
}

/// <summary>Microsoft's quarantine thresholds ("subject to change", so all configurable).</summary>
public sealed class QuarantineOptions
{
    /// <summary>Below this many operations the proportion threshold cannot trip.</summary>
    public long MinimumOperations { get; set; } = 5_000;

    /// <summary>Quarantine when more than this share of operations fail.</summary>
    public double FailureProportion { get; set; } = 0.4;

    /// <summary>Quarantine above this many non-reference failures.</summary>
    public long NonReferenceFailures { get; set; } = 40_000;

    /// <summary>Absolute cap on failures, reference and non-reference together.</summary>
    public long TotalFailures { get; set; } = 60_000;

    /// <summary>How long after a quarantine series began Microsoft disables the job.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(28);
}

public sealed class TenantOptions
{
    /// <summary>Optional friendly name, used in logs only.</summary>
    public string? Name { get; set; }

    public string? TenantId { get; set; }

    /// <summary>Public (default), USGovernment, USGovernmentDoD or China: picks the Graph and login hosts.</summary>
    public string Cloud { get; set; } = GraphCloud.Public;

    /// <summary>Overrides the cloud's Graph base URL (…/v1.0). With a credential it must be a Microsoft Graph host over HTTPS.</summary>
    public Uri? GraphEndpoint { get; set; }

    public CredentialOptions Credential { get; set; } = new();

    /// <summary>Service principal object ids to watch; empty means discover them.</summary>
    public List<string> ServicePrincipals { get; set; } = [];

    /// <summary>
    /// Allow this tenant's token to be sent to a loopback endpoint over plain HTTP (a local proxy or a simulator
    /// that checks tokens). Refused for any non-loopback endpoint. Off by default.
    /// </summary>
    public bool AllowTokenToLoopback { get; set; }

    /// <summary>Where the tenant's provisioning logs come from (None by default).</summary>
    public TenantLogOptions Logs { get; set; } = new();

    public string DisplayName => string.IsNullOrWhiteSpace(Name) ? TenantId ?? "(no tenant id)" : Name;
}

public sealed class CredentialOptions
{
    /// <summary>
    /// Default, ClientSecret, ClientCertificate, WorkloadIdentity, ManagedIdentity, or None (simulator on loopback only).
    /// </summary>
    public string Kind { get; set; } = CredentialKind.Default;

    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? CertificatePath { get; set; }
    public string? CertificatePassword { get; set; }

    /// <summary>Workload identity's projected token file; defaults to AZURE_FEDERATED_TOKEN_FILE.</summary>
    public string? TokenFilePath { get; set; }
}

public static class CredentialKind
{
    public const string Default = "Default";
    public const string ClientSecret = "ClientSecret";
    public const string ClientCertificate = "ClientCertificate";
    public const string WorkloadIdentity = "WorkloadIdentity";
    public const string ManagedIdentity = "ManagedIdentity";
    public const string None = "None";

    public static readonly IReadOnlyList<string> All = [Default, ClientSecret, ClientCertificate, WorkloadIdentity, ManagedIdentity, None];
}

/// <summary>Protection of /metrics for exporters exposed beyond the cluster. /healthz and /readyz stay open for probes.</summary>
public sealed class MetricsAuthOptions
{
    /// <summary>None (default), Bearer or Basic.</summary>
    public string Mode { get; set; } = MetricsAuthMode.None;

    /// <summary>Bearer: the token scrapers send (at least 16 characters). Prefer setting it from a Secret via the environment.</summary>
    public string? BearerToken { get; set; }

    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>
    /// After a reload replaced the token or password, the previous one is still accepted this long (a scraper reading the rotated Secret
    /// later).
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromMinutes(5);
}

public static class MetricsAuthMode
{
    public const string None = "None";
    public const string Bearer = "Bearer";
    public const string Basic = "Basic";
    public static readonly IReadOnlyList<string> All = [None, Bearer, Basic];
}
