using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Logs;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>Exporter:Metrics: glob matching, its validation against the table, and what a left-out family costs (nothing).</summary>
public class MetricSelectionTests
{
    [Theory]
    [InlineData("entra_provisioning_job_status", "entra_provisioning_job_status", true)]
    [InlineData("entra_provisioning_job_status", "entra_provisioning_job_status_code", false)]
    [InlineData("entra_provisioning_job_last_execution_*", "entra_provisioning_job_last_execution_state", true)]
    [InlineData("entra_provisioning_job_last_execution_*", "entra_provisioning_job_last_execution_", true)]
    [InlineData("entra_provisioning_job_last_execution_*", "entra_provisioning_job_status", false)]
    [InlineData("*_total", "entra_exporter_poll_errors_total", true)]
    [InlineData("*_total", "entra_exporter_poll_errors_totals", false)]
    [InlineData("process_*", "process_cpu_seconds_total", true)]
    [InlineData("process_*", "dotnet_total_memory_bytes", false)]
    [InlineData("entra_*_up", "entra_exporter_source_up", true)]
    [InlineData("entra_*_up", "entra_exporter_source_upper", false)]
    [InlineData("*a*b*c", "xaxxbyyc", true)]
    [InlineData("*a*b*c", "xaxxbyycd", false)]
    [InlineData("entra_exporter_shard?", "entra_exporter_shards", true)]
    [InlineData("entra_exporter_shard?", "entra_exporter_shard", false)]
    [InlineData("Entra_*", "entra_exporter_shards", false)]
    [InlineData("*", "anything", true)]
    [InlineData("", "anything", false)]
    public void Glob_matches_the_whole_name(string pattern, string name, bool matches) =>
        Assert.Equal(matches, MetricSelection.Matches(pattern, name));

    [Fact]
    public void Exclude_drops_what_it_matches_and_include_keeps_only_that()
    {
        var exclude = MetricSelection.Of(new ExporterOptions { Metrics = { Exclude = ["entra_provisioning_job_last_execution_*",
            "process_*"] } });
        Assert.False(exclude.Includes("entra_provisioning_job_last_execution_imported_entries"));
        Assert.False(exclude.Includes("process_cpu_seconds_total"));
        Assert.True(exclude.Includes("entra_provisioning_job_status"));
        Assert.True(exclude.Includes("dotnet_total_memory_bytes"));
        var include = MetricSelection.Of(new ExporterOptions { Metrics = { Include = ["entra_provisioning_job_status",
            "entra_exporter_*"] } });
        Assert.True(include.Includes("entra_provisioning_job_status"));
        Assert.True(include.Includes("entra_exporter_source_up"));
        Assert.False(include.Includes("entra_provisioning_job_quarantined"));
        Assert.False(include.Includes("process_cpu_seconds_total"));
    }

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "abc", 0)]
    [InlineData("entra_provisioning_job_staus", "entra_provisioning_job_status", 1)]
    public void Edit_distance_counts_insertions_deletions_and_substitutions(string a, string b, int distance) =>
        Assert.Equal(distance, MetricSelection.EditDistance(a, b));

    private static IReadOnlyList<string> Errors(Action<MetricsOptions> set)
    {
        var options = new ExporterOptions { Tenants = [new TenantOptions { TenantId = MetricsHarness.TenantId }] };
        set(options.Metrics);
        var result = new ExporterOptionsValidator().Validate(null, options);
        return result.Failed ? [.. result.Failures!] : [];
    }

    [Fact]
    public void Patterns_that_match_families_pass()
    {
        Assert.Empty(Errors(m => m.Exclude.AddRange(["entra_provisioning_job_last_execution_*", "process_*",
            "dotnet_collection_count_total"])));
        Assert.Empty(Errors(m => m.Include.AddRange(["entra_provisioning_job_status", "entra_exporter_source_up"])));
    }

    [Fact]
    public void A_misspelt_family_is_an_error_with_its_key_and_the_closest_names()
    {
        var errors = Errors(m => m.Exclude.AddRange(["entra_provisioning_job_status", "entra_provisioning_job_staus",
            "process_cpu_second_total"]));
        Assert.Equal(2, errors.Count);
        Assert.StartsWith("Exporter:Metrics:Exclude:1: 'entra_provisioning_job_staus' matches no metric family; closest: "
            + "entra_provisioning_job_status,", errors[0]);
        Assert.StartsWith("Exporter:Metrics:Exclude:2: 'process_cpu_second_total' matches no metric family; "
            + "closest: process_cpu_seconds_total,", errors[1]);
    }

    [Fact]
    public void Both_lists_at_once_and_malformed_patterns_are_errors_each_with_its_key()
    {
        var errors = Errors(m =>
        {
            m.Include.Add("entra_provisioning_job_status");
            m.Exclude.AddRange(["", "entra_provisioning_job_{status}"]);
        });
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("Exporter:Metrics: set Include or Exclude, not both", errors[0]);
        Assert.StartsWith("Exporter:Metrics:Exclude:0: is empty", errors[1]);
        Assert.StartsWith("Exporter:Metrics:Exclude:1: 'entra_provisioning_job_{status}' is not a family name or a glob pattern",
            errors[2]);
    }

    [Theory]
    [InlineData("Exclude", "*")]
    [InlineData("Exclude", "entra_provisioning_*")]
    [InlineData("Include", "process_*")]
    public void A_list_that_leaves_no_provisioning_family_is_refused(string which, string pattern)
    {
        var options = new ExporterOptions();
        (which == "Include" ? options.Metrics.Include : options.Metrics.Exclude).Add(pattern);
        var result = new ExporterOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!,
            f => f.StartsWith("Exporter:Metrics: leaves out every entra_provisioning_* family", StringComparison.Ordinal));
        // One provisioning family kept is enough.
        var one = new ExporterOptions { Metrics = { Include = ["entra_provisioning_job_status"] } };
        Assert.DoesNotContain(new ExporterOptionsValidator().Validate(null, one).Failures ?? [],
            f => f.Contains("leaves out every", StringComparison.Ordinal));
    }

    [Fact]
    public void A_custom_query_family_can_be_selected_by_name()
    {
        var options = new ExporterOptions
        {
            Tenants = [new TenantOptions
            {
                TenantId = MetricsHarness.TenantId,
                Logs = new TenantLogOptions
                {
                    Source = "LogAnalytics", WorkspaceId = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee",
                    CustomQueries = [new CustomQueryOptions { Name = "contoso_failures", Query = "T", ValueColumn = "n" }],
                },
            }],
            Metrics = { Exclude = ["contoso_*"] },
        };
        Assert.False(new ExporterOptionsValidator().Validate(null, options).Failed);
        Assert.DoesNotContain(MetricTable.Build(options).Families, f => f.Name == "contoso_failures");
        Assert.Contains(MetricTable.BuildAll(options).Families, f => f.Name == "contoso_failures");
    }

    [Fact]
    public void The_table_keeps_only_the_selected_families_in_order_and_names_the_others()
    {
        var all = MetricTable.BuildAll(new ExporterOptions());
        var lean = MetricTable.Build(new ExporterOptions { Metrics = { Exclude = ["entra_provisioning_job_last_execution_*"] } });
        var expected = all.Families.Select(f => f.Name)
            .Where(n => !n.StartsWith("entra_provisioning_job_last_execution_", StringComparison.Ordinal));
        Assert.Equal(expected, lean.Families.Select(f => f.Name));
        Assert.Equal(all.Families.Count - expected.Count(), lean.Excluded.Count);
        Assert.True(lean.Excluded.Count >= 12, "the pattern matched too few families: " + string.Join(", ", lean.Excluded));
        Assert.All(lean.Excluded, n => Assert.StartsWith("entra_provisioning_job_last_execution_", n, StringComparison.Ordinal));
        Assert.Equal(all.Families.Count, MetricTable.Build(new ExporterOptions()).Families.Count);
    }

    [Fact]
    public void Left_out_families_create_no_series_and_their_events_are_dropped()
    {
        var h = new MetricsHarness(new ExporterOptions
        {
            Metrics = { Exclude = ["entra_provisioning_job_last_execution_*", "entra_exporter_poll_duration_seconds", "process_*"] },
        });
        h.Publish(MetricsHarness.Job() with { LastExecution = new() { State = "Succeeded", CountExported = 5 } });
        h.Self.RecordPollDuration(MetricsHarness.TenantId, SourceNames.GraphJobs, 0.3);
        h.Self.CountPollError(MetricsHarness.TenantId, SourceNames.GraphJobs, PollErrorReason.All[0]);
        var samples = MetricsText.Parse(h.Scrape());
        Assert.DoesNotContain(samples, s => s.Name.StartsWith("entra_provisioning_job_last_execution_", StringComparison.Ordinal));
        Assert.DoesNotContain(samples, s => s.Name.StartsWith("entra_exporter_poll_duration_seconds", StringComparison.Ordinal));
        Assert.DoesNotContain(samples, s => s.Name.StartsWith("process_", StringComparison.Ordinal));
        Assert.Single(samples.Named("entra_provisioning_job_status"), s => s.Labels["code"] == "Active" && s.Value == 1);
        Assert.Equal(1, samples.Named("entra_exporter_poll_errors_total").Single(s => s.Labels["reason"] == PollErrorReason.All[0]).Value);
        Assert.NotEmpty(samples.Named("dotnet_total_memory_bytes"));
    }

    [Fact]
    public void Every_process_family_is_served_by_default_and_each_can_be_left_out()
    {
        var all = MetricsText.Parse(new MetricsHarness().Scrape()).Select(s => s.Name).ToHashSet();
        foreach (var name in ProcessMetrics.Names)
            Assert.Contains(name, all);
        var without = MetricsText.Parse(new MetricsHarness(new ExporterOptions { Metrics = { Exclude = ["process_num_threads"] } })
            .Scrape()).Select(s => s.Name).ToHashSet();
        Assert.DoesNotContain("process_num_threads", without);
        Assert.Contains("process_open_handles", without);
    }
}
