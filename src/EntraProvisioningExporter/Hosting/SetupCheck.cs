using System.Text.Json;
using Azure.Core;
using static System.FormattableString;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// --check: one pass over every configured tenant with the exporter's own credential, clients and sources (so it
/// sends nothing anywhere the exporter would not), written as a report a person reads. Each failed step names its
/// fix: the permission, the role or the setting. Exit code 0 when every step worked, 1 otherwise.
/// </summary>
public sealed class SetupCheck(ExporterOptions options, TenantSourceFactory factory, TenantSnapshotStore snapshots, TimeProvider time)
{
    /// <summary>At most this many quarantined jobs are listed per tenant.</summary>
    private const int MaxListed = 20;

    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var failures = 0;
        for (var i = 0; i < options.Tenants.Count; i++)
        {
            var report = new Report(output);
            await CheckTenantAsync(i, options.Tenants[i], report, cancellationToken).ConfigureAwait(false);
            failures += report.Failures;
            await output.WriteLineAsync().ConfigureAwait(false);
        }
        await output.WriteLineAsync(failures == 0
            ? $"All checks passed for {options.Tenants.Count} tenant(s)."
            : $"{failures} check(s) failed: see the fix under each FAIL.").ConfigureAwait(false);
        return failures == 0 ? 0 : 1;
    }

    private async Task CheckTenantAsync(int index, TenantOptions tenant, Report report, CancellationToken cancellationToken)
    {
        report.Title($"Tenant {tenant.DisplayName} ({tenant.TenantId}), Graph at {GraphCloud.GraphEndpointOf(tenant)}");
        using var sources = factory.Create(tenant, factory.Credential(tenant));
        var key = $"Exporter:Tenants:{index}";
        var who = tenant.Credential.ClientId is { Length: > 0 } configured ? $"client id {configured}" : "the identity in use";

        if (sources.Credential is null)
        {
            report.Ok($"token: none requested ({key}:Credential:Kind is None): requests carry no token");
        }
        else
        {
            try
            {
                using var timer = new CancellationTokenSource(options.RequestTimeout, time);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                var token = await sources.Credential.GetTokenAsync(new TokenRequestContext([GraphCloud.Scope(tenant.Cloud)]), timeout.Token)
                    .ConfigureAwait(false);
                var claims = TokenClaims.Read(token.Token);
                if (claims.ClientId is { } id) who = $"client id {id}";
                report.Ok($"token: acquired ({tenant.Credential.Kind}) for {who}"
                    + (claims.Roles.Count > 0 ? $"; application permissions in it: {string.Join(", ", claims.Roles)}" : ""));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                report.Fail($"token: not acquired ({tenant.Credential.Kind}, {who}): {PollErrorClassifier.Classify(ex).Detail}",
                    $"check {key}:TenantId and {key}:Credential: the client id, the secret or certificate (not expired), or for workload "
                        + "identity the federated credential's issuer and subject.");
                report.Skip("Graph and logs: no token to call them with");
                return;
            }
        }

        var jobs = await CheckGraphAsync(tenant, sources, who, report, cancellationToken).ConfigureAwait(false);
        if (jobs is not null)
        {
            var quarantined = jobs.Where(j => j.IsQuarantined).ToList();
            foreach (var job in quarantined.Take(MaxListed))
                report.Detail($"quarantined now: {job.AppName} ({job.Quarantine?.Reason ?? KnownValues.Unknown}"
                    + (job.Quarantine?.ErrorCode is { } code ? $", error {code}" : "")
                    + (job.Quarantine?.SeriesBegan is { } since ? Invariant($", since {since.UtcDateTime:yyyy-MM-dd HH:mm}Z") : "") + ")");
            if (quarantined.Count > MaxListed) report.Detail($"… and {quarantined.Count - MaxListed} more quarantined jobs");
        }
        await CheckLogsAsync(tenant, sources, who, report, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Lists the service principals (Application.Read.All) and reads their jobs (Synchronization.Read.All); the jobs read, or null.
    /// </summary>
    private async Task<IReadOnlyList<JobState>?> CheckGraphAsync(TenantOptions tenant, TenantSources sources, string who, Report report,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<ServicePrincipalRef> servicePrincipals;
        JobFetchResult fetched;
        try
        {
            if (tenant.ServicePrincipals.Count > 0)
            {
                servicePrincipals = await sources.Graph.ResolveAsync(tenant.ServicePrincipals, cancellationToken).ConfigureAwait(false);
                fetched = await sources.Graph.FetchJobsAsync(servicePrincipals, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                (servicePrincipals, fetched) = await sources.Graph.DiscoverAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var (reason, detail) = PollErrorClassifier.Classify(ex);
            report.Fail($"Graph: listing service principals failed: {detail}", reason switch
            {
                PollErrorReason.Forbidden
                    => $"grant the application permission Application.Read.All (Microsoft Graph) to {who}, with admin consent.",
                PollErrorReason.Auth
                    => "Graph refused the token: check that the app registration is in this tenant and the tenant id is right.",
                _ => "see the error above; the exporter retries this every poll.",
            });
            return null;
        }
        report.Ok(tenant.ServicePrincipals.Count > 0
            ? $"Graph: the {tenant.ServicePrincipals.Count} configured service principals were looked up (Application.Read.All)"
            : "Graph: service principals listed (Application.Read.All)");

        var jobs = fetched.JobsByServicePrincipal.Values.SelectMany(j => j).ToList();
        if (fetched.FailedServicePrincipals.Count > 0)
        {
            var forbidden = fetched.FailedServicePrincipals.Values.Count(r => r == PollErrorReason.Forbidden);
            var reasons = string.Join(", ", fetched.FailedServicePrincipals.Values.GroupBy(r => r).Select(g => $"{g.Count()} {g.Key}"));
            report.Fail($"Graph: the jobs of {fetched.FailedServicePrincipals.Count} of {servicePrincipals.Count} service "
                + $"principals could not be read ({reasons})",
                forbidden > 0
                    ? $"grant the application permission Synchronization.Read.All (Microsoft Graph) to {who}, with admin consent."
                    : "see the reasons above; the exporter retries every poll and keeps the last good values.");
        }
        else
        {
            var withJobs = fetched.JobsByServicePrincipal.Count(kv => kv.Value.Count > 0);
            report.Ok($"Graph: provisioning jobs read (Synchronization.Read.All): {withJobs} service principals with jobs, {jobs.Count} "
                + $"jobs, {jobs.Count(j => j.IsQuarantined)} quarantined");
        }
        foreach (var problem in fetched.Problems.Take(MaxListed))
            report.Detail($"a job could not be read: service principal {problem.ServicePrincipalId}, job {problem.JobId ?? "(no id)"}: "
                + $"{problem.DropReason}: {problem.Detail}");
        return jobs;
    }

    /// <summary>Runs the tenant's log source once, as the exporter would, and says how fresh its latest event is.</summary>
    private async Task CheckLogsAsync(TenantOptions tenant, TenantSources sources, string who, Report report,
        CancellationToken cancellationToken)
    {
        if (sources.Logs is not { } source)
        {
            report.Ok("logs: none configured (Logs:Source is None): the log-based series are not exported");
            return;
        }
        var what = source.Source == SourceNames.LogAnalytics ? $"Log Analytics workspace {tenant.Logs.WorkspaceId}"
            : "Graph provisioning logs";
        CycleOutcome outcome;
        try
        {
            using var timer = new CancellationTokenSource(options.EffectivePollTimeout, time);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            outcome = await source.RunCycleAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var (reason, detail) = PollErrorClassifier.Classify(ex);
            outcome = new CycleOutcome(reason, detail);
        }
        if (outcome.FailureReason is { } failure)
        {
            report.Fail($"logs: {what} failed: {outcome.Detail}", failure switch
            {
                PollErrorReason.Forbidden when source.Source == SourceNames.LogAnalytics
                    => $"assign the Log Analytics Reader role on workspace {tenant.Logs.WorkspaceId} to {who}.",
                PollErrorReason.Forbidden
                    => $"grant the application permission AuditLog.Read.All (Microsoft Graph) to {who}, with admin consent.",
                PollErrorReason.Auth => "the log endpoint refused the token: check the tenant id and the cloud.",
                _ when source.Source == SourceNames.LogAnalytics
                    => $"check {what} exists in this cloud and its id is right; the exporter retries every poll.",
                _ => "see the error above; the exporter retries every poll.",
            });
            return;
        }
        var latest = snapshots.Get(tenant.TenantId!)?.Logs?.Windows.Select(w => w.LastEvent).Max();
        if (latest is { } at)
            report.Ok($"logs: {what} answers; its latest provisioning event is {HumanDuration.Format(time.GetUtcNow() - at)} old");
        else
            report.Ok($"logs: {what} answers, but holds no provisioning event from the last "
                + $"{HumanDuration.Format(options.Logs.LastEventLookback)}"
                + (source.Source == SourceNames.LogAnalytics
                    ? " (is the tenant's diagnostic setting sending ProvisioningLogs to this workspace?)" : ""));
    }

    /// <summary>The lines of one tenant's report, counting its failures.</summary>
    private sealed class Report(TextWriter output)
    {
        public int Failures { get; private set; }

        public void Title(string text) => output.WriteLine(text);
        public void Ok(string text) => output.WriteLine($"  ok    {text}");
        public void Skip(string text) => output.WriteLine($"  skip  {text}");
        public void Detail(string text) => output.WriteLine($"        {text}");

        public void Fail(string text, string fix)
        {
            Failures++;
            output.WriteLine($"  FAIL  {text}");
            output.WriteLine($"        fix: {fix}");
        }
    }
}

/// <summary>
/// The identity and application permissions in an access token's claims, when it is a JWT; the token itself is never kept.
/// </summary>
public readonly record struct TokenClaims(string? ClientId, IReadOnlyList<string> Roles)
{
    public static TokenClaims Read(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return new(null, []);
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using var doc = JsonDocument.Parse(Convert.FromBase64String(payload));
            var root = doc.RootElement;
            string? Claim(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()
                : null;
            var roles = root.TryGetProperty("roles", out var r) && r.ValueKind == JsonValueKind.Array
                ? r.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)
                    .Order(StringComparer.Ordinal).ToList()
                : [];
            return new(Claim("appid") ?? Claim("azp"), roles);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            return new(null, []);
        }
    }
}
