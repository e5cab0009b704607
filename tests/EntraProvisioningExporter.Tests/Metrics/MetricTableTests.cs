using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;
using EntraProvisioningExporter.Sources.Logs;
using Microsoft.Extensions.Logging.Abstractions;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>The table itself: Prometheus naming, and series bounds that hold (OTLP is sized from them).</summary>
public partial class MetricTableTests
{
    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex SnakeCase();

    [Fact]
    public void Every_help_text_is_the_same_whatever_the_configuration_so_none_quotes_a_value_a_reload_could_change()
    {
        var other = new ExporterOptions
        {
            PollInterval = TimeSpan.FromSeconds(47), DiscoveryInterval = TimeSpan.FromMinutes(53),
            RequestTimeout = TimeSpan.FromSeconds(17),
            HttpMaxRetries = 7, HttpRetryDelay = TimeSpan.FromSeconds(13), MaxBatchRetries = 5, MaxJobs = 4_321,
            Quarantine = new QuarantineOptions { MinimumOperations = 1_234, FailureProportion = 0.37, NonReferenceFailures = 31_337,
                TotalFailures = 54_321, DisableAfter = TimeSpan.FromDays(19) },
            Logs = new LogsOptions { Window = TimeSpan.FromMinutes(37), LastEventLookback = TimeSpan.FromDays(3), MaxErrorCodesPerJob = 29,
                IngestionSettle = TimeSpan.FromMinutes(7), GraphOverlap = TimeSpan.FromMinutes(23), GraphPageSize = 333 },
        };
        var help = MetricTable.BuildAll(new ExporterOptions()).Families.ToDictionary(f => f.Name, f => f.Help);
        var changed = MetricTable.BuildAll(other, () => other.Quarantine).Families.Where(f => help[f.Name] != f.Help)
            .Select(f => $"{f.Name}: '{help[f.Name]}' became '{f.Help}'");
        Assert.Empty(changed);
    }

    [Fact]
    public void The_layout_changes_with_what_shapes_the_expositions_and_only_with_that()
    {
        var start = MetricTable.Build(new ExporterOptions());
        var tuned = new ExporterOptions
        {
            PollInterval = TimeSpan.FromSeconds(47), RequestTimeout = TimeSpan.FromSeconds(17), HttpMaxRetries = 7,
            Quarantine = new QuarantineOptions { MinimumOperations = 1_234, FailureProportion = 0.37 },
            Logs = new LogsOptions { Window = TimeSpan.FromMinutes(37), GraphPageSize = 333 },
        };
        Assert.True(MetricTable.Build(tuned, () => tuned.Quarantine).SameLayout(start, withSeriesLimits: true));

        static ExporterOptions WithQuery(string help) => new()
        {
            Tenants = [new TenantOptions { TenantId = "t", Logs = new TenantLogOptions { CustomQueries =
                [new CustomQueryOptions { Name = "contoso_failures", Help = help, Query = "T", ValueColumn = "n" }] } }],
        };
        ExporterOptions[] shaping =
        [
            new() { Metrics = new MetricsOptions { Exclude = ["entra_provisioning_job_info"] } },
            new() { Metrics = new MetricsOptions { Exclude = ["process_cpu_seconds_total"] } },
            new() { Metrics = new MetricsOptions { Include = ["entra_*"] } },
            WithQuery("Failures."),
        ];
        foreach (var options in shaping)
        {
            Assert.False(MetricTable.Build(options).SameLayout(start, withSeriesLimits: false));
            Assert.False(MetricTable.Build(options).SameLayout(start, withSeriesLimits: true));
        }
        Assert.False(MetricTable.Build(WithQuery("Failures.")).SameLayout(MetricTable.Build(WithQuery("Failures, again.")), false));

        // The series bounds size OTLP's storage only: /metrics is the same for them.
        ExporterOptions[] bounds = [new() { MaxJobs = 20_000 }, new() { Logs = new LogsOptions { MaxErrorCodesPerJob = 11 } }];
        foreach (var options in bounds)
        {
            Assert.True(MetricTable.Build(options).SameLayout(start, withSeriesLimits: false));
            Assert.False(MetricTable.Build(options).SameLayout(start, withSeriesLimits: true));
        }
    }

    [Fact]
    public void Names_labels_and_types_follow_the_Prometheus_conventions()
    {
        var table = MetricTable.Build(new ExporterOptions());
        Assert.All(table.Families, f =>
        {
            Assert.Matches(SnakeCase(), f.Name);
            Assert.StartsWith("entra_", f.Name, StringComparison.Ordinal);
            Assert.Equal(f.Kind == MetricKind.Counter, f.Name.EndsWith("_total", StringComparison.Ordinal));
            Assert.False(f.Kind != MetricKind.Histogram
                && (f.Name.EndsWith("_count", StringComparison.Ordinal) || f.Name.EndsWith("_sum", StringComparison.Ordinal)
                || f.Name.EndsWith("_bucket", StringComparison.Ordinal)), f.Name);
            Assert.All(f.LabelNames, l => Assert.Matches(SnakeCase(), l));
            Assert.Equal(f.LabelNames.Count, f.LabelNames.Distinct().Count());
            Assert.False(string.IsNullOrWhiteSpace(f.Help), f.Name);
            // An age is computed at scrape time: never called cached.
            if (f is TenantFamily { IsAge: true }) Assert.DoesNotContain("cached", f.Help, StringComparison.Ordinal);
        });
        // Every age has its timestamp beside it.
        foreach (var age in table.Families.OfType<TenantFamily>().Where(f => f.IsAge))
        {
            var stem = age.Name.EndsWith("_age_seconds", StringComparison.Ordinal) ? age.Name[..^"_age_seconds".Length]
                : age.Name[..^"_lag_seconds".Length];
            Assert.Contains(table.Families, f => f.Name == stem + "_timestamp_seconds");
        }
    }

    [Fact]
    public void No_family_has_more_series_than_its_bound_at_MaxJobs_jobs_which_sizes_OTLP()
    {
        var options = new ExporterOptions { MaxJobs = 40 };
        var h = new MetricsHarness(options);
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.LogAnalytics);
        h.Snapshots.Register(MetricsHarness.TenantId, SourceNames.GraphJobs);
        // Every job in the most series-rich state: unknown enum values beside the known ones, quarantined, every threshold.
        var began = MetricsHarness.Now.AddDays(-1);
        var jobs = Enumerable.Range(0, options.MaxJobs).Select(i => MetricsHarness.Job($"j{i}", "SomethingNew") with
        {
            ScheduleState = "Unheard",
            LastExecution = new ExecutionState { State = "AlsoNew", TimeBegan = began, TimeEnded = began, CountEscrowed = 5,
                CountEscrowedRaw = 6, CountExported = 7 },
            SynchronizedEntries = [new("user", 1), new("group", 2), new("device", 3), new("contact", 4)],
        }).ToArray();
        h.Publish(jobs);
        var codes = Enumerable.Range(0, options.Logs.MaxErrorCodesPerJob + 1)
            .Select(c => c == 0 ? LogNormalization.OtherErrorCode : $"E{c}").ToList();
        h.PublishLogs(new TenantLogSnapshot(MetricsHarness.TenantId, SourceNames.LogAnalytics, new LogTotals(
            [.. jobs.SelectMany(j => LogNormalization.Actions.SelectMany(a => LogNormalization.Statuses
                .Append(LogNormalization.UnknownStatus).Select(s => new EventCounter(MetricsHarness.Key(j), a, s, 1))))],
            [.. jobs.SelectMany(j => codes.Select(c => new ErrorCounter(MetricsHarness.Key(j), c, 1)))]),
            [.. jobs.Select(j => new JobWindow(MetricsHarness.Key(j), 1, 1, 1, 1, began))], MetricsHarness.Now, 0,
            new Dictionary<string, CustomQueryResult>()));

        var samples = MetricsText.Parse(h.Scrape());
        foreach (var family in h.Table.Families.OfType<TenantFamily>())
        {
            var count = samples.Count(s => s.Name == family.Name);
            Assert.True(count <= family.Series.At(options.MaxJobs),
                $"{family.Name}: {count} series, bound {family.Series.At(options.MaxJobs)}");
        }
        Assert.Equal(options.MaxJobs * 30, samples.Count(s => s.Name == "entra_provisioning_events_total"));

        // OTLP's SDK is given exactly these bounds.
        using var otlp = new OtlpExposition(h.Table, h.Snapshots,
            new RuntimeConfiguration(options, new ExporterInfo("test", options.PollInterval, 0, 1, 1, 1, true, MetricsHarness.Now)),
            h.Time);
        var limits = new Dictionary<string, int?>();
        using var listener = new MeterListener { InstrumentPublished = (i,
            _) => { if (otlp.CardinalityLimitOf(i) is { } limit) limits[i.Name] = limit; } };
        listener.Start();
        Assert.All(h.Table.Families, f => Assert.Equal(f.Series.At(options.MaxJobs), limits[f.Name]));
    }
}
