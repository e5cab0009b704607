namespace EntraProvisioningExporter.Configuration;

/// <summary>Where a tenant's provisioning logs are read from.</summary>
public static class LogSourceKind
{
    public const string None = "None";
    /// <summary>AADProvisioningLogs in a Log Analytics workspace.</summary>
    public const string LogAnalytics = "LogAnalytics";
    /// <summary>Graph's /auditLogs/provisioning (for tenants without a workspace).</summary>
    public const string Graph = "Graph";

    public static readonly IReadOnlyList<string> All = [None, LogAnalytics, Graph];
}

/// <summary>A tenant's provisioning-log source ("Exporter:Tenants:N:Logs").</summary>
public sealed class TenantLogOptions
{
    public string Source { get; set; } = LogSourceKind.None;

    /// <summary>The Log Analytics workspace (customer) id, a GUID.</summary>
    public string? WorkspaceId { get; set; }

    /// <summary>Overrides the cloud's Log Analytics endpoint (e.g. https://api.loganalytics.azure.com).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Your own KQL queries, each exported as a gauge (Log Analytics only).</summary>
    public List<CustomQueryOptions> CustomQueries { get; set; } = [];
}

/// <summary>Settings shared by every tenant's log source ("Exporter:Logs").</summary>
public sealed class LogsOptions
{
    /// <summary>The trailing window of the window_* gauges.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How far back the last event of a job is looked for.</summary>
    public TimeSpan LastEventLookback { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Log Analytics: events count once their ingestion_time() is at least this old (records become queryable shortly after they are
    /// stamped).
    /// </summary>
    public TimeSpan IngestionSettle { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Log Analytics: how far before the cursor an ingested event's TimeGenerated may lie and still be read (bounds the data scanned).
    /// </summary>
    public TimeSpan MaxIngestionDelay { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Log Analytics: how long the service may run a query (Prefer: wait=…).</summary>
    public TimeSpan ServerTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Error codes with their own series per job; the rest count as error_code="other".</summary>
    public int MaxErrorCodesPerJob { get; set; } = DefaultMaxErrorCodesPerJob;

    public const int DefaultMaxErrorCodesPerJob = 10;

    /// <summary>Graph: each read reaches this far behind the cursor (events show in Graph minutes late); ids de-duplicate.</summary>
    public TimeSpan GraphOverlap { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Graph: request budget for the reports endpoints, per tenant (Microsoft documents about 5 per 10 s per app per tenant).
    /// </summary>
    public int GraphRequestsPer10Seconds { get; set; } = 5;

    /// <summary>Graph: events per page ($top).</summary>
    public int GraphPageSize { get; set; } = 500;
}

/// <summary>A user-declared KQL query exported as a gauge.</summary>
public sealed record CustomQueryOptions
{
    /// <summary>The metric name (Prometheus rules; not entra_provisioning_* or entra_exporter_*).</summary>
    public string? Name { get; set; }
    public string? Help { get; set; }
    public string? Query { get; set; }
    /// <summary>The numeric column that is the value.</summary>
    public string? ValueColumn { get; set; }
    /// <summary>Columns that become labels (tenant_id is added).</summary>
    public List<string> LabelColumns { get; set; } = [];
    /// <summary>At most this many series; rows beyond are dropped and counted.</summary>
    public int MaxSeries { get; set; } = 100;
    /// <summary>The query's time range, ending now.</summary>
    public TimeSpan TimeRange { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>The Log Analytics hosts and token audiences per cloud.</summary>
public static class LogAnalyticsCloud
{
    private static readonly Dictionary<string, (Uri Endpoint, string Audience)> Clouds = new(StringComparer.OrdinalIgnoreCase)
    {
        [GraphCloud.Public] = (new Uri("https://api.loganalytics.azure.com/"), "https://api.loganalytics.io"),
        [GraphCloud.USGovernment] = (new Uri("https://api.loganalytics.us/"), "https://api.loganalytics.us"),
        [GraphCloud.USGovernmentDoD] = (new Uri("https://api.loganalytics.us/"), "https://api.loganalytics.us"),
        [GraphCloud.China] = (new Uri("https://api.loganalytics.azure.cn/"), "https://api.loganalytics.azure.cn"),
    };

    public static IReadOnlyCollection<string> Hosts { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "api.loganalytics.io", "api.loganalytics.azure.com", "api.loganalytics.us", "api.loganalytics.azure.cn",
    };

    public static Uri DefaultEndpoint(string cloud) => Clouds[GraphCloud.IsKnown(cloud) ? cloud : GraphCloud.Public].Endpoint;

    public static string Scope(string cloud) => Clouds[GraphCloud.IsKnown(cloud) ? cloud : GraphCloud.Public].Audience + "/.default";

    public static bool MayReceiveToken(Uri uri) => uri.Scheme == Uri.UriSchemeHttps && Hosts.Contains(uri.Host);

    public static Uri EndpointOf(TenantOptions tenant) => tenant.Logs.Endpoint ?? DefaultEndpoint(tenant.Cloud);
}
