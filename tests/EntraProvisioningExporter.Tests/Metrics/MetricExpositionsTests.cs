using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Metrics.Families;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Metrics;

/// <summary>The metric table and its expositions replaced as one unit when a reload changes the table's layout.</summary>
public class MetricExpositionsTests
{
    private static readonly ExporterOptions Start = new() { Metrics = new MetricsOptions { Exclude = ["entra_provisioning_job_info"] } };

    private static (MetricExpositions Expositions, TenantSnapshotStore Snapshots, RuntimeConfiguration Runtime) Build()
    {
        var runtime = new RuntimeConfiguration(Start, new ExporterInfo("test", Start.PollInterval, 0, 1, 1, 1, true, MetricsHarness.Now));
        var snapshots = new TenantSnapshotStore();
        var expositions = new MetricExpositions(runtime, snapshots, new FakeTimeProvider(MetricsHarness.Now),
            new ConfigurationBuilder().Build(), NullLoggerFactory.Instance);
        return (expositions, snapshots, runtime);
    }

    private static string Scrape(PrometheusExposition exposition) => MetricsHarness.Scrape(exposition);

    [Fact]
    public void A_table_of_the_same_layout_keeps_the_expositions_in_force()
    {
        var (expositions, _, _) = Build();
        using var _ = expositions;
        var tuned = new ExporterOptions { Metrics = Start.Metrics, PollInterval = TimeSpan.FromSeconds(13), MaxJobs = 5 };
        Assert.Null(expositions.Prepare(expositions.TableFor(tuned)));
    }

    [Fact]
    public void A_new_table_is_served_from_the_published_snapshots_and_the_old_registry_stops_following_them()
    {
        var (expositions, snapshots, _) = Build();
        using var _ = expositions;
        snapshots.Register(MetricsHarness.TenantId, SourceNames.GraphJobs);
        snapshots.PublishJobs(new TenantJobSnapshot(MetricsHarness.TenantId, [MetricsHarness.Job("a")], MetricsHarness.Now));
        var old = expositions.Prometheus;
        expositions.Add(SelfMetricFamilies.PollErrors, 3, MetricsHarness.TenantId, SourceNames.GraphJobs, "timeout");
        Assert.DoesNotContain("entra_provisioning_job_info", MetricsText.FamilyNames(Scrape(old)));

        var replacement = expositions.Prepare(expositions.TableFor(new ExporterOptions()));
        Assert.NotNull(replacement);
        Assert.Same(old, expositions.Prometheus); // prepared, not yet in force
        expositions.Activate(replacement);

        var served = MetricsText.Parse(Scrape(expositions.Prometheus));
        Assert.Contains(served, s => s.Name == "entra_provisioning_job_info" && s.Labels["job_id"] == "a");
        // The recorded families start again, every running source's error series at 0 (a counter reset).
        var errors = served.Named("entra_exporter_poll_errors_total").Where(s => s.Labels["source"] == SourceNames.GraphJobs).ToList();
        Assert.Equal(PollErrorReason.All.Count, errors.Count);
        Assert.All(errors, s => Assert.Equal(0, s.Value));
        expositions.Add(SelfMetricFamilies.PollErrors, 1, MetricsHarness.TenantId, SourceNames.GraphJobs, "timeout");
        Assert.Equal(1, MetricsText.Parse(Scrape(expositions.Prometheus)).Named("entra_exporter_poll_errors_total")
            .Single(s => s.Labels["source"] == SourceNames.GraphJobs && s.Labels["reason"] == "timeout").Value);

        // The replaced registry no longer follows publications.
        snapshots.PublishJobs(new TenantJobSnapshot(MetricsHarness.TenantId, [MetricsHarness.Job("a"), MetricsHarness.Job("b")],
            MetricsHarness.Now));
        Assert.DoesNotContain(MetricsText.Parse(Scrape(old)), s => s.Labels.GetValueOrDefault("job_id") == "b");
        Assert.Contains(MetricsText.Parse(Scrape(expositions.Prometheus)), s => s.Labels.GetValueOrDefault("job_id") == "b");
    }

    [Fact]
    public async Task A_replaced_exposition_is_left_to_the_garbage_collector()
    {
        var (expositions, _, _) = Build();
        using var owned = expositions;
        // As the reloader does: each replacement once the one before it is released.
        var replaced = Replace(expositions, new ExporterOptions());
        await expositions.WaitForRetiredAsync();
        Replace(expositions, Start);
        await expositions.WaitForRetiredAsync();
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(replaced.TryGetTarget(out _), "a replaced exposition (and its registry) is still reachable");
    }

    /// <summary>Replaces the expositions in force with those of <paramref name="options"/>; the replaced one, weakly.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<PrometheusExposition> Replace(MetricExpositions expositions, ExporterOptions options)
    {
        var replaced = new WeakReference<PrometheusExposition>(expositions.Prometheus);
        expositions.Activate(expositions.Prepare(expositions.TableFor(options))!);
        return replaced;
    }

    [Fact]
    public void A_prepared_table_that_is_not_activated_is_released_and_changes_nothing()
    {
        var (expositions, snapshots, _) = Build();
        using var _ = expositions;
        var before = expositions.Prometheus;
        var replacement = expositions.Prepare(expositions.TableFor(new ExporterOptions()));
        Assert.NotNull(replacement);
        replacement.Dispose();
        Assert.Same(before, expositions.Prometheus);
        Assert.Throws<InvalidOperationException>(() => expositions.Activate(replacement));
        snapshots.PublishJobs(new TenantJobSnapshot(MetricsHarness.TenantId, [MetricsHarness.Job("c")], MetricsHarness.Now));
        Assert.Contains(MetricsText.Parse(Scrape(before)), s => s.Labels.GetValueOrDefault("job_id") == "c");
    }
}
