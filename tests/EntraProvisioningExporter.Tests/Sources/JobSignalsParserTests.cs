using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Tests.Sources;

/// <summary>The initial cycle's progress, steady state, the deletion threshold and the quarantine error, from Graph's job JSON.</summary>
public class JobSignalsParserTests
{
    private static readonly ServicePrincipalRef Sp = new("sp-1", "Google Workspace");

    private static JobState Parse(string status, string settings = "[]")
    {
        var body = $$"""{"value":[{"id":"gsuite.1.a","templateId":"gsuite","status":"""
            + $$"""{{status}},"synchronizationJobSettings":{{settings}}}]}""";
        var parsed = JobPayloadParser.Parse("t", Sp, body);
        Assert.Empty(parsed.Problems);
        return Assert.Single(parsed.Jobs);
    }

    private const string Active = """{"code":"Active","progress":[],"steadyStateFirstAchievedTime":"0001-01-01T00:00:00Z"}""";

    [Fact]
    public void Progress_is_read_per_unit_kind_keeping_the_latest_observation_of_a_repeated_kind()
    {
        var job = Parse("""
            {"code":"Active","steadyStateFirstAchievedTime":"0001-01-01T00:00:00Z","progress":[
              {"completedUnits":1025,"totalUnits":3024,"units":"pages","progressObservationDateTime":"2017-10-10T17:00:00Z"},
              {"completedUnits":1100,"totalUnits":3024,"units":"pages","progressObservationDateTime":"2017-10-10T17:05:00Z"},
              {"completedUnits":7,"totalUnits":null,"units":"groups","progressObservationDateTime":""},
              {"completedUnits":-1,"totalUnits":9,"units":"users"},
              {"completedUnits":5,"totalUnits":9,"units":""}]}
            """);
        Assert.Equal(
        [
            new ProgressState("groups", 7, null, null),
            new ProgressState("pages", 1100, 3024, new DateTimeOffset(2017, 10, 10, 17, 5, 0, TimeSpan.Zero)),
            new ProgressState("users", null, 9, null),
        ], job.Progress);
        Assert.False(job.SteadyStateReached);
        Assert.Null(job.SteadyStateFirstAchieved);
    }

    [Theory]
    [InlineData("""{"code":"Active","progress":[]}""")]
    [InlineData("""{"code":"Active","progress":null}""")]
    [InlineData("""{"code":"Active"}""")]
    public void Empty_or_missing_progress_is_no_progress(string status) => Assert.Empty(Parse(status).Progress);

    [Fact]
    public void Steady_state_first_achieved_says_the_initial_cycle_completed_and_when()
    {
        var job = Parse("""{"code":"Active","steadyStateFirstAchievedTime":"2026-09-01T08:00:00Z"}""");
        Assert.True(job.SteadyStateReached);
        Assert.Equal(new DateTimeOffset(2026, 9, 1, 8, 0, 0, TimeSpan.Zero), job.SteadyStateFirstAchieved);
        Assert.Null(Parse("null").SteadyStateReached); // no status at all: unknown, not "never"
    }

    [Theory]
    [InlineData("""[{"name":"QuarantineTooManyDeletesThreshold","value":"500"}]""", 500L)]
    [InlineData("""[{"name":"quarantinetoomanydeletesthreshold","value":" 750 "}]""", 750L)]
    [InlineData("""[{"name":"QuarantineTooManyDeletesThreshold","value":500}]""", 500L)]
    [InlineData("""[{"name":"QuarantineTooManyDeletes","value":"true"},{"name":"QuarantineTooManyDeletesThreshold","value":"0"}]""", 0L)]
    [InlineData("""[{"name":"QuarantineTooManyDeletes","value":"false"},"""
        + """{"name":"QuarantineTooManyDeletesThreshold","value":"500"}]""", null)]
    [InlineData("""[{"name":"QuarantineTooManyDeletesThreshold","value":"five hundred"}]""", null)]
    [InlineData("""[{"name":"QuarantineTooManyDeletesThreshold","value":"1.5"}]""", null)]
    [InlineData("""[{"name":"QuarantineTooManyDeletesThreshold","value":"-3"}]""", null)]
    [InlineData("""[{"name":"QuarantineTooManyDeletesThreshold","value":"99999999999999999999"}]""", null)]
    [InlineData("""[{"name":"QuarantineTooManyDeletesThreshold","value":{"n":1}}]""", null)]
    [InlineData("""[{"name":"QuarantineTooManyDeletesThreshold"}]""", null)]
    [InlineData("""[{"name":"AllowDefaultEntitlement","value":"true"}]""", null)]
    [InlineData("""[7, null, "x"]""", null)]
    [InlineData("null", null)]
    [InlineData("{}", null)]
    public void The_delete_threshold_is_a_whole_number_setting_or_nothing(string settings, long? expected)
    {
        var job = Parse(Active, settings);
        Assert.Equal(expected, job.DeleteThreshold);
    }

    [Fact]
    public void The_quarantine_error_code_and_whether_the_tenant_can_fix_it_are_kept()
    {
        var job = Parse("""
            {"code":"Quarantine","quarantine":{"reason":"EncounteredQuarantineException","currentBegan":"","nextAttempt":"",
              "seriesBegan":"2026-02-20T06:00:00Z","seriesCount":1,
              "error":{"code":"SystemForCrossDomainIdentityManagementCredentialValidationUnavailable","message":"401",
                "tenantActionable":false}}}
            """);
        Assert.Equal("SystemForCrossDomainIdentityManagementCredentialValidationUnavailable", job.Quarantine!.ErrorCode);
        Assert.False(job.Quarantine.TenantActionable);
        var noError = Parse("""{"code":"Quarantine","quarantine":{"reason":"TooManyDeletes","error":null}}""");
        Assert.Null(noError.Quarantine!.ErrorCode);
        Assert.Null(noError.Quarantine.TenantActionable);
    }

    [Theory]
    [InlineData("""{"code":" SystemForCrossDomainIdentityManagementServiceIncompatible ","message":"","tenantActionable":false}""",
        "SystemForCrossDomainIdentityManagementServiceIncompatible", false)]
    [InlineData("""{"code":"ScimBadGateway","message":null,"tenantActionable":null}""", "ScimBadGateway", null)]
    [InlineData("""{"code":"ScimBadGateway"}""", "ScimBadGateway", null)]
    [InlineData("""{"code":"","message":"","tenantActionable":true}""", null, null)]
    [InlineData("""{"code":"   ","tenantActionable":true}""", null, null)]
    [InlineData("""{"code":null,"message":"x","tenantActionable":true}""", null, null)]
    [InlineData("null", null, null)]
    public void The_last_runs_error_code_is_kept_trimmed_and_a_null_empty_or_blank_code_is_no_error(string error, string? code,
        bool? actionable)
    {
        var job = Parse($$$"""{"code":"Active","lastExecution":"""
            + $$$"""{"state":"Failed","timeBegan":"2026-02-20T06:00:00Z","timeEnded":"2026-02-20T06:00:20Z","error":{{{error}}}}}""");
        Assert.Equal(code, job.LastExecution!.ErrorCode);
        Assert.Equal(actionable, job.LastExecution.ErrorTenantActionable);
    }

    [Fact]
    public void A_run_error_code_longer_than_a_label_may_be_is_capped()
    {
        var code = new string('E', 5000);
        var job = Parse("{\"code\":\"Active\",\"lastExecution\":{\"state\":\"Failed\",\"error\":{\"code\":\"" + code + "\"}}}");
        Assert.InRange(job.LastExecution!.ErrorCode!.Length, 1, 1024);
    }

    [Theory]
    [InlineData("\"ScimBadGateway\"", null, null, "status.lastExecution.error is a string")]
    [InlineData("42", null, null, "status.lastExecution.error is a number")]
    [InlineData("""[{"code":"X"}]""", null, null, "status.lastExecution.error is an array")]
    [InlineData("""{"code":42,"tenantActionable":true}""", null, null, "status.lastExecution.error.code is a number")]
    [InlineData("""{"code":{"x":"y"},"tenantActionable":true}""", null, null, "status.lastExecution.error.code is an object")]
    [InlineData("""{"code":["a"],"tenantActionable":true}""", null, null, "status.lastExecution.error.code is an array")]
    [InlineData("""{"code":"X","tenantActionable":"true"}""", "X", null, "status.lastExecution.error.tenantActionable is a string")]
    [InlineData("""{"code":"X","tenantActionable":1}""", "X", null, "status.lastExecution.error.tenantActionable is a number")]
    public void A_run_error_of_the_wrong_type_is_lost_alone_and_counted_while_the_job_and_its_run_are_kept(
        string error, string? code, bool? actionable, string problem)
    {
        var body = """{"value":[{"id":"scim.1.a","templateId":"scim","status":"""
            + """{"code":"Active","lastExecution":{"state":"Failed","countExported":5,"error":"""
            + error + """}}},{"id":"scim.1.b","templateId":"scim","status":"""
            + """{"code":"Active","lastExecution":{"state":"Failed","error":{"code":"Good","tenantActionable":true}}}}]}""";
        var parsed = JobPayloadParser.Parse("t", Sp, body);
        Assert.Equal(2, parsed.Jobs.Count);
        var odd = parsed.Jobs[0];
        Assert.Equal("Failed", odd.LastExecution!.State);
        Assert.Equal(5, odd.LastExecution.CountExported);
        Assert.Equal(code, odd.LastExecution.ErrorCode);
        Assert.Equal(actionable, odd.LastExecution.ErrorTenantActionable);
        var lost = Assert.Single(parsed.Problems);
        Assert.Equal(("scim.1.a", DropReason.BadValue), (lost.JobId, lost.DropReason));
        Assert.StartsWith(problem, lost.Detail);
        Assert.Equal(("Good", (bool?)true), (parsed.Jobs[1].LastExecution!.ErrorCode, parsed.Jobs[1].LastExecution!.ErrorTenantActionable));
    }

    [Theory]
    [InlineData("lastExecution", "\"Failed\"", "a string")]
    [InlineData("lastExecution", "7", "a number")]
    [InlineData("lastExecution", "[1]", "an array")]
    [InlineData("quarantine", "\"TooManyDeletes\"", "a string")]
    public void A_last_run_or_quarantine_that_is_not_an_object_is_none_and_counted_never_an_invented_unknown(string field, string value,
        string kind)
    {
        var parsed = JobPayloadParser.Parse("t", Sp,
            $$$"""{"value":[{"id":"scim.1.a","templateId":"scim","status":{"code":"Active","{{{field}}}":{{{value}}}}}]}""");
        var job = Assert.Single(parsed.Jobs);
        Assert.Null(job.LastExecution);
        Assert.Null(job.Quarantine);
        var lost = Assert.Single(parsed.Problems);
        Assert.Equal(DropReason.BadValue, lost.DropReason);
        Assert.StartsWith($"status.{field} is {kind}, not an object", lost.Detail);
    }
}
