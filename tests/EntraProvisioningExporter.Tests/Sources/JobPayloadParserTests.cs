using EntraProvisioningExporter.Sources;
using System.Text.Json;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Tests.Sources;

public class JobPayloadParserTests
{
    private const string Tenant = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e";
    private static readonly ServicePrincipalRef Sp = new("60443998-8cf7-4e61-b05c-a53b658cb5e1", "Salesforce Sandbox");

    private static JobState Single(string fixture)
    {
        var parsed = JobPayloadParser.Parse(Tenant, Sp, Fixture.Read($"graph/{fixture}"));
        Assert.Empty(parsed.Problems);
        return Assert.Single(parsed.Jobs);
    }

    [Fact]
    public void Maps_identity_status_and_counters_of_a_quarantined_job()
    {
        var job = Single("microsoft-sample-quarantined.json");
        Assert.Equal(Tenant, job.TenantId);
        Assert.Equal(Sp.Id, job.ServicePrincipalId);
        Assert.Equal("Salesforce Sandbox", job.AppName);
        Assert.Equal("SfSandboxOutDelta.e4bbf44533ea4eabb17027f3a92e92aa.0d8c9c2b-08f4-4cbd-9c45-4f3f8d4e4bfd", job.JobId);
        Assert.Equal("SfSandboxOutDelta", job.TemplateId);
        Assert.Equal("Quarantine", job.StatusCode);
        Assert.True(job.IsQuarantined);
        Assert.Equal("Active", job.ScheduleState);
        Assert.Equal(12, job.SuccessiveCompleteFailures);
        Assert.False(job.EscrowsPruned);
        var e = job.LastExecution!;
        Assert.Equal("Failed", e.State);
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 10, 0, 0, TimeSpan.Zero), e.TimeBegan);
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 10, 4, 30, TimeSpan.Zero), e.TimeEnded);
        Assert.Equal((2300L, 2450L, 2700L, 5000L, 1500L, 44L, 3L, 1500L, 1480L),
            (e.CountEscrowed, e.CountEscrowedRaw, e.CountExported, e.CountExports, e.CountImported, e.CountImportedDeltas,
                e.CountImportedReferenceDeltas, e.CountEntitled, e.CountEntitledForProvisioning));
        Assert.Equal([new("user", 1480), new("group", 20)], job.SynchronizedEntries);
    }

    [Fact]
    public void Infinite_interval_is_absent_not_an_overflow()
    {
        // Microsoft's own sample: P10675199DT2H48M5.4775807S is TimeSpan.MaxValue.
        Assert.Null(Single("microsoft-sample-quarantined.json").ScheduleInterval);
    }

    [Fact]
    public void Empty_and_year_one_timestamps_are_absent()
    {
        var job = Single("microsoft-sample-quarantined.json");
        Assert.Null(job.Quarantine!.CurrentBegan);   // ""
        Assert.Null(job.Quarantine.NextAttempt);      // ""
        Assert.Null(job.SteadyStateLastAchieved);     // 0001-01-01T00:00:00Z
        Assert.Equal(new DateTimeOffset(2026, 2, 20, 6, 0, 0, TimeSpan.Zero), job.Quarantine.SeriesBegan);
        Assert.Equal(4, job.Quarantine.SeriesCount);
        Assert.Equal("EncounteredBaseEscrowThreshold", job.Quarantine.Reason);
        Assert.Null(job.LastSuccessfulExecution);     // null execution
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 8, 5, 0, TimeSpan.Zero), job.LastSuccessfulExport);
    }

    [Fact]
    public void Unknown_enum_strings_are_kept_raw_where_the_SDK_would_give_null()
    {
        var job = Single("unknown-enums.json");
        Assert.Equal("Throttled", job.StatusCode);
        Assert.Equal("Suspended", job.ScheduleState);
        Assert.Equal("PartiallySucceeded", job.LastExecution!.State);
        Assert.Equal("EncounteredSomeNewThreshold", job.Quarantine!.Reason);
        Assert.Equal(TimeSpan.FromMinutes(40), job.ScheduleInterval);
        Assert.True(job.EscrowsPruned);
        Assert.False(job.IsQuarantined); // the code, not the presence of a quarantine object, says whether it is quarantined
    }

    [Fact]
    public void Nulls_everywhere_and_several_jobs_per_service_principal()
    {
        var parsed = JobPayloadParser.Parse(Tenant, Sp, Fixture.Read("graph/nulls-and-several-jobs.json"));
        Assert.Empty(parsed.Problems);
        Assert.Equal(["Azure2Azure.aaaa.1", "Azure2Azure.bbbb.2", "Azure2Azure.cccc.3"], parsed.Jobs.Select(j => j.JobId));

        var notRun = parsed.Jobs[0];
        Assert.Equal("NotRun", notRun.StatusCode);
        Assert.Null(notRun.LastExecution);
        Assert.Null(notRun.Quarantine);
        Assert.Null(notRun.ScheduleState);
        Assert.Null(notRun.ScheduleInterval);
        Assert.Null(notRun.SteadyStateLastAchieved);
        Assert.Empty(notRun.SynchronizedEntries);

        var running = parsed.Jobs[1].LastExecution!;
        Assert.Null(running.TimeEnded);
        Assert.True(running.IsRunning);

        var noStatus = parsed.Jobs[2];
        Assert.Equal("Unknown", noStatus.StatusCode);
        Assert.Null(noStatus.SuccessiveCompleteFailures);
    }

    [Fact]
    public void A_value_the_model_cannot_hold_drops_that_value_and_a_job_that_is_not_one_is_dropped_alone()
    {
        var parsed = JobPayloadParser.Parse(Tenant, Sp, Fixture.Read("graph/one-bad-job.json"));
        Assert.Equal(["scim.good.1", "scim.bad.2", "scim.good.3"], parsed.Jobs.Select(j => j.JobId));
        Assert.Null(parsed.Jobs[1].SuccessiveCompleteFailures); // 1.5 is not a count: that value is dropped, not the job
        Assert.Equal(0, parsed.Jobs[0].SuccessiveCompleteFailures);
        Assert.Equal(2, parsed.Problems.Count);
        Assert.Contains(parsed.Problems, p => p.JobId is null && p.Detail.Contains("not a JSON object", StringComparison.Ordinal));
        Assert.Contains(parsed.Problems,
            p => p.JobId is null && p.DropReason == DropReason.Invalid && p.Detail.Contains("no id", StringComparison.Ordinal));
        Assert.All(parsed.Problems, p => Assert.Equal(Sp.Id, p.ServicePrincipalId));
    }

    [Theory]
    [InlineData("{\"value\":[{\"id\":")]        // truncated
    [InlineData("<html>busy</html>")]           // not JSON
    [InlineData("{\"error\":{\"code\":\"x\"}}")] // no value array
    [InlineData("[]")]
    public void A_body_that_is_not_a_job_list_throws_a_JsonException(string body)
    {
        Assert.ThrowsAny<JsonException>(() => JobPayloadParser.Parse(Tenant, Sp, body));
    }
}
