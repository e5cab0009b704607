using EntraProvisioningExporter.Simulator.Logs;

namespace EntraProvisioningExporter.Simulator.Scenario;

/// <summary>
/// The demo tenant: a dozen provisioning apps in the states an SRE meets, plus service principals without
/// jobs (as in a real tenant, most have none). Everything is a function of scenario time, so the same
/// instant always yields the same payloads.
/// </summary>
public static class DemoScenario
{
    public const string DefaultTenantId = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e";

    /// <summary>
    /// How near the demo tenant's app is to its Graph throttling limit: near (Graph sends it from 0.8), below the alert's 0.9.
    /// </summary>
    public const string DemoThrottleLimitPercentage = "0.85";

    /// <summary>Scenario minute at which the escrow-climbing app crosses the 40 % failure proportion and is quarantined.</summary>
    public static readonly TimeSpan EscrowQuarantineAt = TimeSpan.FromMinutes(16);

    /// <summary>How long the invalid-credentials app has been quarantined when the scenario starts (disabled after 28 days).</summary>
    public static readonly TimeSpan CredentialsQuarantineAge = TimeSpan.FromDays(25);

    public static SimulatedTenant Create(DateTimeOffset scenarioStart, string tenantId = DefaultTenantId, int syntheticJobs = 0,
        int servicePrincipalsWithoutJobs = 40)
    {
        var start = scenarioStart;
        var sps = new List<SimulatedServicePrincipal>
        {
            App(tenantId, "Contoso SCIM App", "scim",
                (now, _) => Healthy(now, start, TimeSpan.FromMinutes(40), phase: 3, users: 1200, groups: 40),
                Log(start, 3, 2, run => OnDemandBurstMix(run, start))),
            App(tenantId, "Workday to Microsoft Entra ID", "Workday", (now, _) => HrInbound(now, start),
                Log(start, 11, 6, _ => HrInboundMix, "Workday")),
            App(tenantId, "ServiceNow", "ServiceNowOutDelta", (now, _) => Paused(now, start)),
            App(tenantId, "Salesforce", "salesforce", (now, elapsed) => EscrowClimbing(now, start, elapsed),
                Log(start, 5, 4, run => EscrowClimbingMix(run, start), interval: EscrowRunInterval)),
            App(tenantId, "Dropbox Business", "dropboxBusiness", (now, _) => InvalidCredentials(now, start), InvalidCredentialsLog(start)),
            App(tenantId, "Zoom", "zoom", (now, _) => Stalled(start)),
            App(tenantId, "GitHub Enterprise Managed User", "gitHubEnterpriseManagedUser", (_, _) => NotRun()),
            App(tenantId, "Atlassian Cloud", "atlassianCloud", (_, _) => NotConfigured()),
            App(tenantId, "Box", "box", (now, _) => EntryLevelErrors(now, start), Log(start, 31, 3, _ => EntryLevelErrorsMix)),
            App(tenantId, "Zendesk", "zendesk", (now, _) => RunFailing(now, start), RunFailingLog(start)),
            App(tenantId, "Slack", "slack", (now, _) => Healthy(now, start, TimeSpan.FromMinutes(40), phase: 17, users: 860, groups: 12),
                Log(start, 17, 2, SlowMix)),
            new(SimulatedTenant.StableGuid(tenantId + "Fabrikam cross-tenant sync"),
                SimulatedTenant.StableGuid("app:Fabrikam cross-tenant sync"), "Fabrikam cross-tenant sync",
            [
                new(SimulatedTenant.JobId("Azure2Azure", tenantId + "Fabrikam users"), "Azure2Azure",
                    (now, _) => Healthy(now, start, TimeSpan.FromMinutes(40), phase: 9, users: 3400, groups: 0),
                    Log(start, 9, 2, HealthyMix, "Microsoft Entra ID")),
                new(SimulatedTenant.JobId("Azure2Azure", tenantId + "Fabrikam guests"), "Azure2Azure",
                    (now, _) => Healthy(now, start, TimeSpan.FromMinutes(40), phase: 29, users: 220, groups: 0),
                    Log(start, 29, 2, HealthyMix, "Microsoft Entra ID")),
            ]),
            App(tenantId, "Adobe Identity Management", "adobeIdentityManagement", (now, elapsed) => InitialCycle(now, start, elapsed),
                Log(start, 0, 38, _ => InitialCycleMix)),
            App(tenantId, "Google Workspace", "gsuite", (now, _) => ScopingChange(now, start),
                new EventScript(start - TimeSpan.FromDays(1), ScopingRunInterval, ScopingRunDuration, run => ScopingChangeMix(run, start),
                    "Google Workspace")),
            App(tenantId, "Freshservice", "freshservice",
                (now, _) => Healthy(now, start, TimeSpan.FromMinutes(40), phase: 13, users: 640, groups: 8),
                Log(start, 13, 2, run => FailureJumpMix(run, start))),
            App(tenantId, "SAP SuccessFactors to Microsoft Entra ID", "SuccessFactorsToAzureADUserProvisioning",
                (now, _) => Healthy(now, start, TimeSpan.FromMinutes(40), phase: 23, users: 5100, groups: 0),
                Log(start, 23, 2, _ => HrWritebackMix, "SAP SuccessFactors")),
        };
        for (var i = 0; i < syntheticJobs; i++)
        {
            var phase = i % 40;
            sps.Add(App(tenantId, $"Synthetic SCIM App {i:D5}", "scim",
                (now, _) => Healthy(now, start, TimeSpan.FromMinutes(40), phase, users: 100 + phase, groups: 5),
                Log(start, phase, 2, HealthyMix)));
        }
        string[] withoutJobs = ["Microsoft Graph Explorer", "Office 365 Exchange Online", "Microsoft Teams", "Azure Portal",
            "SharePoint Online", "Power BI Service", "Microsoft Intune", "Azure DevOps"];
        for (var i = 0; i < servicePrincipalsWithoutJobs; i++)
        {
            var name = i < withoutJobs.Length ? withoutJobs[i] : $"Line-of-business app {i:D3}";
            sps.Add(new(SimulatedTenant.StableGuid(tenantId + name), SimulatedTenant.StableGuid("app:" + name), name, []));
        }
        // The exporter's app is near its Graph throttling limit in this tenant (a busy tenant shares it with other tools).
        return new SimulatedTenant(tenantId, scenarioStart, sps) { ThrottleLimitPercentage = DemoThrottleLimitPercentage };
    }

    private static SimulatedServicePrincipal App(string tenantId, string name, string templateId, JobScript script,
        EventScript? events = null) =>
        new(SimulatedTenant.StableGuid(tenantId + name), SimulatedTenant.StableGuid("app:" + name), name,
            [new(SimulatedTenant.JobId(templateId, tenantId + name), templateId, script, events)]);

    /// <summary>How often the escrow-climbing app runs (shorter than the others, so its failures visibly climb).</summary>
    public static readonly TimeSpan EscrowRunInterval = TimeSpan.FromMinutes(10);

    /// <summary>A job's log on the same run grid as its executions (see <see cref="LastRun"/>).</summary>
    private static EventScript Log(DateTimeOffset start, int phase, int durationMinutes, Func<DateTimeOffset, IReadOnlyList<EventMix>> mix,
        string target = "SCIM", TimeSpan? interval = null) =>
        new(start - TimeSpan.FromDays(1) + TimeSpan.FromMinutes(phase), interval ?? TimeSpan.FromMinutes(40),
            TimeSpan.FromMinutes(durationMinutes), mix, target);

    /// <summary>Scenario time at which the baseline app's failures jump from 2 to 80 a run.</summary>
    private static readonly TimeSpan FailureJumpAt = TimeSpan.FromMinutes(20);

    /// <summary>
    /// The scoping-change app's accidental-deletion threshold; its cycle at the scenario start deletes and disables up to 90 % of it.
    /// </summary>
    public const int ScopingDeleteThreshold = 500;

    private static readonly TimeSpan ScopingRunInterval = TimeSpan.FromHours(3);
    private static readonly TimeSpan ScopingRunDuration = TimeSpan.FromMinutes(90);

    /// <summary>A job's failures: 2 a run (its baseline), then 80 a run from <see cref="FailureJumpAt"/>.</summary>
    private static IReadOnlyList<EventMix> FailureJumpMix(DateTimeOffset run, DateTimeOffset start) =>
        [new("update", "success", 14), new("create", "success", 1),
            new("update", "failure", run >= start + FailureJumpAt ? 80 : 2, "SystemForCrossDomainIdentityManagementBadRequest")];

    /// <summary>The initial cycle's steady creates.</summary>
    private static readonly IReadOnlyList<EventMix> InitialCycleMix = [new("create", "success", 120), new("other", "skipped", 10)];

    /// <summary>
    /// Before the scenario start, small cycles. From it, a scoping change: the cycle deletes and disables 450 accounts
    /// (90 % of the threshold of 500), then holds 300 more deletes back as staged deletes.
    /// </summary>
    private static IReadOnlyList<EventMix> ScopingChangeMix(DateTimeOffset run, DateTimeOffset start) => run < start
        ? [new("update", "success", 20), new("create", "success", 2), new("delete", "success", 1)]
        : [new("update", "success", 10), new("delete", "success", 300), new("disable", "success", 150),
            new("stageddelete", "success", 300)];

    private static IReadOnlyList<EventMix> HealthyMix(DateTimeOffset run) =>
        [new("update", "success", 12), new("create", "success", 1), new("other", "skipped", 2)];

    /// <summary>
    /// How long the on-demand burst lasts from the scenario start: an admin provisions users one by one during an incident.
    /// </summary>
    public static readonly TimeSpan OnDemandBurst = TimeSpan.FromHours(2);

    /// <summary>
    /// A healthy job that also provisions groups; in the first <see cref="OnDemandBurst"/>, each run has 15 on-demand creates
    /// by an admin.
    /// </summary>
    private static IReadOnlyList<EventMix> OnDemandBurstMix(DateTimeOffset run, DateTimeOffset start) =>
    [
        .. HealthyMix(run), new("update", "success", 3) { Identity = "Group" },
        .. run >= start && run < start + OnDemandBurst ? [new EventMix("create", "success", 15) { Initiator = "user" }]
            : Array.Empty<EventMix>(),
    ];

    /// <summary>A healthy job whose target answers slowly: operations take 20 to 60 seconds.</summary>
    private static IReadOnlyList<EventMix> SlowMix(DateTimeOffset run) =>
        [.. HealthyMix(run).Select(m => m with { DurationMs = 40_000 })];

    private static readonly IReadOnlyList<EventMix> HrInboundMix =
        [new("update", "success", 30), new("create", "success", 7), new("other", "skipped", 3), new("disable", "success", 1)];

    private static readonly IReadOnlyList<EventMix> HrWritebackMix =
        [new("update", "success", 10), new("create", "success", 2), new("disable", "success", 1)];

    private static readonly IReadOnlyList<EventMix> EntryLevelErrorsMix =
    [
        new("update", "failure", 30, "SystemForCrossDomainIdentityManagementBadRequest"),
        new("update", "failure", 12, "SystemForCrossDomainIdentityManagementServiceIncompatible"),
        new("update", "success", 18), new("other", "skipped", 5), new("update", "warning", 2),
        new("disable", "success", 1), new("delete", "success", 1), new("stageddelete", "success", 1),
    ];

    /// <summary>Failures climb by 30 a scenario minute until the job is quarantined; then the log goes quiet.</summary>
    private static IReadOnlyList<EventMix> EscrowClimbingMix(DateTimeOffset run, DateTimeOffset start)
    {
        if (run >= start + EscrowQuarantineAt) return [];
        var failures = 60 + (int)Math.Max(0, 30 * (run - start).TotalMinutes);
        return
        [
            new("update", "failure", failures * 6 / 10, "SalesforceDuplicateValue"),
            new("create", "failure", failures * 3 / 10, "SalesforceRequiredFieldMissing"),
            new("update", "failure", failures - failures * 6 / 10 - failures * 3 / 10, "SalesforceRequestLimitExceeded"),
            new("update", "success", 100), new("create", "success", 5),
        ];
    }

    /// <summary>Graph's code for credentials the target app refuses (the quarantined app's and the run-failing app's).</summary>
    private const string InvalidCredentialCode = "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable";

    /// <summary>One failed attempt at each daily quarantine retry.</summary>
    private static EventScript InvalidCredentialsLog(DateTimeOffset start) =>
        new(start - CredentialsQuarantineAge + TimeSpan.FromHours(42), TimeSpan.FromDays(1), TimeSpan.FromSeconds(20),
            _ => [new("other", "failure", 1, InvalidCredentialCode)]);

    /// <summary>When the run-failing app's runs began to fail (its credential expired): 90 minutes before the scenario start.</summary>
    public static readonly TimeSpan RunFailingSince = TimeSpan.FromMinutes(90);

    /// <summary>One failed attempt at each run since the credential expired.</summary>
    private static EventScript RunFailingLog(DateTimeOffset start) =>
        new(start - RunFailingSince, TimeSpan.FromMinutes(40), TimeSpan.FromSeconds(30),
            _ => [new("other", "failure", 1, InvalidCredentialCode)]);

    private static string T(DateTimeOffset value) => GraphTime.Format(value);

    /// <summary>
    /// The last run that has finished by <paramref name="now"/>: runs start on a grid of <paramref name="interval"/> offset by <paramref
    /// name="phase"/> minutes.
    /// </summary>
    private static (DateTimeOffset Began, DateTimeOffset Ended) LastRun(DateTimeOffset now, DateTimeOffset start, TimeSpan interval,
        int phase, TimeSpan duration)
    {
        var origin = start - TimeSpan.FromDays(1) + TimeSpan.FromMinutes(phase);
        var n = (long)Math.Floor((now - duration - origin) / interval);
        var began = origin + interval * n;
        return (began, began + duration);
    }

    private static JobView Healthy(DateTimeOffset now, DateTimeOffset start, TimeSpan interval, int phase, long users, long groups)
    {
        var (began, ended) = LastRun(now, start, interval, phase, TimeSpan.FromMinutes(2));
        var exec = new ExecutionView
        {
            State = "Succeeded", TimeBegan = T(began), TimeEnded = T(ended),
            CountEntitled = users + groups, CountEntitledForProvisioning = users + groups,
            CountExported = 12 + phase % 7, CountExports = 12 + phase % 7, CountImported = users + groups, CountImportedDeltas = 14,
            CountImportedReferenceDeltas = groups > 0 ? 3 : 0,
        };
        return new JobView
        {
            Code = "Active", ScheduleInterval = "PT40M",
            LastExecution = exec, LastSuccessfulExecution = exec, LastSuccessfulExecutionWithExports = exec,
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(90)), SteadyStateLastAchievedTime = T(ended),
            SynchronizedEntryCountByType = groups > 0 ? [new("user", users), new("group", groups)] : [new("user", users)],
        };
    }

    /// <summary>
    /// A job whose target's credential expired <see cref="RunFailingSince"/> before the scenario start: every run since
    /// fails with the run's own error, not yet quarantined.
    /// </summary>
    private static JobView RunFailing(DateTimeOffset now, DateTimeOffset start)
    {
        var (began, ended) = LastRun(now, start, TimeSpan.FromMinutes(40), 21, TimeSpan.FromSeconds(30));
        var failingSince = start - RunFailingSince;
        var good = LastRun(failingSince, start, TimeSpan.FromMinutes(40), 21, TimeSpan.FromMinutes(2));
        var lastGood = new ExecutionView
        {
            State = "Succeeded", TimeBegan = T(good.Began), TimeEnded = T(good.Ended),
            CountEntitled = 720, CountEntitledForProvisioning = 720, CountImported = 720, CountExported = 6, CountExports = 6,
        };
        var failed = ended > failingSince;
        var exec = failed
            ? new ExecutionView
            {
                State = "Failed", TimeBegan = T(began), TimeEnded = T(ended),
                ErrorCode = InvalidCredentialCode, ErrorMessage = "The credentials for the application are invalid or have expired.",
            }
            : lastGood;
        return new JobView
        {
            Code = "Active", ScheduleInterval = "PT40M",
            SuccessiveCompleteFailures = failed ? Math.Max(1, (long)Math.Ceiling((ended - failingSince) / TimeSpan.FromMinutes(40))) : 0,
            LastExecution = exec, LastSuccessfulExecution = lastGood, LastSuccessfulExecutionWithExports = lastGood,
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(150)), SteadyStateLastAchievedTime = T(good.Ended),
            SynchronizedEntryCountByType = [new("user", 720)],
        };
    }

    private static JobView HrInbound(DateTimeOffset now, DateTimeOffset start)
    {
        var (began, ended) = LastRun(now, start, TimeSpan.FromMinutes(40), 11, TimeSpan.FromMinutes(6));
        var exec = new ExecutionView
        {
            State = "Succeeded", TimeBegan = T(began), TimeEnded = T(ended),
            CountEntitled = 25400, CountEntitledForProvisioning = 25400, CountImported = 25400, CountImportedDeltas = 37,
            CountExported = 37, CountExports = 37,
        };
        return new JobView
        {
            Code = "Active", ScheduleInterval = "PT40M",
            LastExecution = exec, LastSuccessfulExecution = exec, LastSuccessfulExecutionWithExports = exec,
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(200)), SteadyStateLastAchievedTime = T(ended),
            SynchronizedEntryCountByType = [new("worker", 25400)],
        };
    }

    private static JobView Paused(DateTimeOffset now, DateTimeOffset start)
    {
        var ended = start - TimeSpan.FromDays(10);
        var exec = new ExecutionView
        {
            State = "Succeeded", TimeBegan = T(ended - TimeSpan.FromMinutes(3)), TimeEnded = T(ended),
            CountEntitled = 410, CountEntitledForProvisioning = 410, CountImported = 410, CountExported = 2, CountExports = 2,
        };
        return new JobView
        {
            // Microsoft's own sample schedule: TimeSpan.MaxValue, which overflows date arithmetic.
            Code = "Paused", ScheduleState = "Paused", ScheduleInterval = "P10675199DT2H48M5.4775807S",
            LastExecution = exec, LastSuccessfulExecution = exec, LastSuccessfulExecutionWithExports = exec,
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(300)), SteadyStateLastAchievedTime = T(ended),
            SynchronizedEntryCountByType = [new("user", 410)],
        };
    }

    /// <summary>
    /// Escrows climb 250 a scenario minute from 2,000 against 9,000 exports per run; at 6,000 (40 %) the job is quarantined.
    /// </summary>
    private static JobView EscrowClimbing(DateTimeOffset now, DateTimeOffset start, TimeSpan elapsed)
    {
        var escrowed = 2000 + (long)(250 * Math.Max(0, elapsed.TotalMinutes));
        var (began, ended) = LastRun(now, start, EscrowRunInterval, 5, TimeSpan.FromMinutes(4));
        var exec = new ExecutionView
        {
            State = "EntryLevelErrors", TimeBegan = T(began), TimeEnded = T(ended),
            CountEntitled = 15200, CountEntitledForProvisioning = 15000,
            CountEscrowed = escrowed, CountEscrowedRaw = escrowed + 350, CountExported = 9000, CountExports = 9000 + escrowed,
            CountImported = 15200, CountImportedDeltas = 620,
            ErrorCode = "SalesforceDuplicateValue", ErrorMessage = "Some entries failed to export; see the provisioning logs.",
        };
        var quarantined = elapsed >= EscrowQuarantineAt;
        var began0 = start + EscrowQuarantineAt;
        return new JobView
        {
            Code = quarantined ? "Quarantine" : "Active", ScheduleInterval = "PT10M",
            LastExecution = exec,
            LastSuccessfulExecution = exec with { State = "Succeeded" },
            LastSuccessfulExecutionWithExports = exec with { State = "Succeeded" },
            Quarantine = quarantined ? new QuarantineView
            {
                Reason = "EncounteredEscrowProportionThreshold",
                CurrentBegan = T(began0), SeriesBegan = T(began0), NextAttempt = T(began0 + TimeSpan.FromHours(6)), SeriesCount = 1,
                ErrorCode = "EncounteredEscrowProportionThreshold", ErrorMessage = "Too many entries failed to export.",
            } : null,
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(60)), SteadyStateLastAchievedTime = T(start - TimeSpan.FromDays(2)),
            SynchronizedEntryCountByType = [new("user", 15200 - escrowed / 2)],
        };
    }

    /// <summary>Quarantined for invalid admin credentials since 25 days before the scenario start: disabled at 28 days.</summary>
    private static JobView InvalidCredentials(DateTimeOffset now, DateTimeOffset start)
    {
        var seriesBegan = start - CredentialsQuarantineAge;
        var retries = Math.Max(0, (long)Math.Floor((now - seriesBegan - TimeSpan.FromHours(42)) / TimeSpan.FromDays(1))) + 3;
        var currentBegan = seriesBegan + TimeSpan.FromHours(42) + TimeSpan.FromDays(retries - 3);
        var exec = new ExecutionView
        {
            State = "Failed", TimeBegan = T(currentBegan), TimeEnded = T(currentBegan + TimeSpan.FromSeconds(20)),
            ErrorCode = InvalidCredentialCode,
            ErrorMessage = "We received this unexpected response from the application: 401 Unauthorized.",
        };
        var lastGood = new ExecutionView
        {
            State = "Succeeded", TimeBegan = T(seriesBegan - TimeSpan.FromMinutes(42)),
                TimeEnded = T(seriesBegan - TimeSpan.FromMinutes(40)),
            CountEntitled = 530, CountEntitledForProvisioning = 530, CountImported = 530, CountExported = 4, CountExports = 4,
        };
        return new JobView
        {
            Code = "Quarantine", ScheduleInterval = "PT40M", SuccessiveCompleteFailures = 28 + retries,
            LastExecution = exec, LastSuccessfulExecution = lastGood, LastSuccessfulExecutionWithExports = lastGood,
            Quarantine = new QuarantineView
            {
                Reason = "EncounteredQuarantineException",
                CurrentBegan = T(currentBegan), SeriesBegan = T(seriesBegan), NextAttempt = T(currentBegan + TimeSpan.FromDays(1)),
                    SeriesCount = retries,
                ErrorCode = InvalidCredentialCode,
                ErrorMessage = "The admin credentials for the application are invalid.",
            },
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(400)),
                SteadyStateLastAchievedTime = T(seriesBegan - TimeSpan.FromMinutes(40)),
            SynchronizedEntryCountByType = [new("user", 530)],
        };
    }

    /// <summary>Active on paper, but its runs stopped three days before the scenario began.</summary>
    private static JobView Stalled(DateTimeOffset start)
    {
        var ended = start - TimeSpan.FromDays(3);
        var exec = new ExecutionView
        {
            State = "Succeeded", TimeBegan = T(ended - TimeSpan.FromMinutes(2)), TimeEnded = T(ended),
            CountEntitled = 2300, CountEntitledForProvisioning = 2300, CountImported = 2300, CountExported = 9, CountExports = 9,
        };
        return new JobView
        {
            Code = "Active", ScheduleInterval = "PT40M",
            LastExecution = exec, LastSuccessfulExecution = exec, LastSuccessfulExecutionWithExports = exec,
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(120)), SteadyStateLastAchievedTime = T(ended),
            SynchronizedEntryCountByType = [new("user", 2300)],
        };
    }

    /// <summary>Pages in scope of the initial cycle, and how many are done when the scenario starts; 20 more a scenario minute.</summary>
    private const long InitialCyclePages = 3024;
    private const long InitialCyclePagesAtStart = 600;

    /// <summary>A new app in its initial cycle, climbing 20 pages a scenario minute; steady state when all are done.</summary>
    private static JobView InitialCycle(DateTimeOffset now, DateTimeOffset start, TimeSpan elapsed)
    {
        var minutes = Math.Max(0, elapsed.TotalMinutes);
        var completed = Math.Min(InitialCyclePages, InitialCyclePagesAtStart + (long)(20 * minutes));
        // The initial cycle runs as a chain of executions (one every 40 minutes), each taking the next pages.
        var (began, ended) = LastRun(now, start, TimeSpan.FromMinutes(40), 0, TimeSpan.FromMinutes(38));
        var doneAt = start + TimeSpan.FromMinutes((InitialCyclePages - InitialCyclePagesAtStart) / 20.0);
        var done = completed == InitialCyclePages;
        var running = new ExecutionView
        {
            State = "Succeeded", TimeBegan = T(began), TimeEnded = T(ended),
            CountEntitled = 18000, CountEntitledForProvisioning = 18000, CountImported = 800 * 6, CountExported = 800 * 6,
                CountExports = 800 * 6,
        };
        return new JobView
        {
            Code = "Active", ScheduleInterval = "PT40M",
            LastExecution = running, LastSuccessfulExecution = running, LastSuccessfulExecutionWithExports = running,
            SteadyStateFirstAchievedTime = done ? T(doneAt) : "0001-01-01T00:00:00Z",
                SteadyStateLastAchievedTime = done ? T(doneAt) : "0001-01-01T00:00:00Z",
            SynchronizedEntryCountByType = [new("user", completed * 6)],
            Progress = [new ProgressView("pages", completed, InitialCyclePages, T(now - TimeSpan.FromSeconds(now.Second % 30)))],
        };
    }

    /// <summary>
    /// Active and running the cycle of the scoping change (from the scenario start, 90 minutes), with a deletion threshold of 500.
    /// </summary>
    private static JobView ScopingChange(DateTimeOffset now, DateTimeOffset start)
    {
        var (began, ended) = LastRun(now, start, TimeSpan.FromHours(3), 0, TimeSpan.FromMinutes(90));
        var exec = new ExecutionView
        {
            State = "Succeeded", TimeBegan = T(began), TimeEnded = T(ended),
            CountEntitled = 4200, CountEntitledForProvisioning = 4200, CountImported = 4200, CountExported = 23, CountExports = 23,
        };
        return new JobView
        {
            Code = "Active", ScheduleInterval = "PT40M",
            LastExecution = exec, LastSuccessfulExecution = exec, LastSuccessfulExecutionWithExports = exec,
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(75)), SteadyStateLastAchievedTime = T(ended),
            SynchronizedEntryCountByType = [new("user", 4200)],
            Settings = [new("QuarantineTooManyDeletes", "true"),
                new("QuarantineTooManyDeletesThreshold",
                ScopingDeleteThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        };
    }

    private static JobView NotRun() => new()
    {
        Code = "NotRun", ScheduleInterval = "PT40M",
        // Empty strings where Microsoft's samples put them.
        LastExecution = null, LastSuccessfulExecution = null, LastSuccessfulExecutionWithExports = null,
        SteadyStateFirstAchievedTime = "0001-01-01T00:00:00Z", SteadyStateLastAchievedTime = "",
    };

    private static JobView NotConfigured() => new()
    {
        Code = "NotConfigured", ScheduleState = "Disabled", ScheduleInterval = "PT40M",
    };

    private static JobView EntryLevelErrors(DateTimeOffset now, DateTimeOffset start)
    {
        var (began, ended) = LastRun(now, start, TimeSpan.FromMinutes(40), 31, TimeSpan.FromMinutes(3));
        var exec = new ExecutionView
        {
            State = "EntryLevelErrors", TimeBegan = T(began), TimeEnded = T(ended),
            CountEntitled = 3100, CountEntitledForProvisioning = 3050, CountEscrowed = 42, CountEscrowedRaw = 45,
            CountExported = 18, CountExports = 60, CountImported = 3100, CountImportedDeltas = 60,
            ErrorCode = "BoxEntryLevelError", ErrorMessage = "42 entries failed.",
        };
        return new JobView
        {
            Code = "Active", ScheduleInterval = "PT40M",
            LastExecution = exec, LastSuccessfulExecution = exec with { State = "Succeeded" },
                LastSuccessfulExecutionWithExports = exec with { State = "Succeeded" },
            SteadyStateFirstAchievedTime = T(start - TimeSpan.FromDays(30)), SteadyStateLastAchievedTime = T(ended),
            SynchronizedEntryCountByType = [new("user", 3008), new("group", 42)],
        };
    }
}
