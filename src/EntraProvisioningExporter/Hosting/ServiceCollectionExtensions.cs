using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Metrics.Collectors;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Hosting;

public static class ServiceCollectionExtensions
{
    /// <summary>Options, sources, instruments, the metrics pipeline and health checks: the whole exporter.</summary>
    public static IServiceCollection AddEntraProvisioningExporter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ExporterOptions>().Bind(configuration.GetSection(ExporterOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ExporterOptions>, ExporterOptionsValidator>();
        // In a StatefulSet the pod's hostname ends in its ordinal: that is the shard index unless one is set.
        services.PostConfigure<ExporterOptions>(o =>
        {
            if (o.Sharding.Count > 1 && o.Sharding.Index is null) o.Sharding.Index = ShardingOptions.OrdinalOf(Environment.MachineName);
        });
        services.AddSingleton(sp => new TenantSharding(sp.GetRequiredService<IOptions<ExporterOptions>>().Value));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CredentialFactory>(Sources.Graph.TokenCredentialFactory.Create);

        services.AddSingleton<JobSnapshotStore>();
        services.AddSingleton<Sources.Logs.LogSnapshotStore>();
        services.AddSingleton<SourceHealthRegistry>();
        services.AddSingleton(sp => new ExporterMeter(sp.GetRequiredService<IOptions<ExporterOptions>>().Value));
        services.AddSingleton<ExporterSelfMetrics>();
        services.AddSingleton<JobInstruments>();
        services.AddSingleton<IMetricCollector, ExporterHealthCollector>();
        services.AddSingleton<IMetricCollector, JobInfoCollector>();
        services.AddSingleton<IMetricCollector, JobStatusCollector>();
        services.AddSingleton<IMetricCollector, QuarantineCollector>();
        services.AddSingleton<IMetricCollector, LastExecutionCollector>();
        services.AddSingleton<IMetricCollector, JobActivityCollector>();
        services.AddSingleton<IMetricCollector, EscrowProximityCollector>();
        services.AddSingleton<IMetricCollector, LogEventsCollector>();
        services.AddSingleton<IMetricCollector, LogWindowCollector>();
        services.AddSingleton<IMetricCollector, LogSourceCollector>();
        services.AddSingleton<IMetricCollector, CustomQueryCollector>();
        services.AddSingleton<CardinalityOverflows>();
        services.AddSingleton<IMetricCollector, CardinalityCollector>();
        services.AddSingleton<MetricsPipeline>();
        services.AddSingleton(sp => new ScrapeCoordinator(sp.GetRequiredService<MetricsPipeline>().Live.Collect));
        services.AddSingleton(sp =>
        {
            var jobs = sp.GetRequiredService<JobSnapshotStore>();
            var logs = sp.GetRequiredService<Sources.Logs.LogSnapshotStore>();
            // Real time: which formats were scraped recently is about real scrapers, not scenario time.
            return new PolledFamiliesCache(() => jobs.Generation + logs.Generation, sp.GetRequiredService<MetricsPipeline>().Polled.Collect, TimeProvider.System);
        });
        services.AddHostedService<PolledFamiliesRenderer>();

        services.AddHostedService<MetricsPipelineStarter>();
        services.AddHostedService<PollingWorker>();
        services.AddHealthChecks().AddCheck<ReadinessHealthCheck>("first-cycle", tags: ["ready"]);
        return services;
    }
}

/// <summary>Builds the metrics pipeline (and so every instrument) at start, before the first scrape or poll.</summary>
internal sealed class MetricsPipelineStarter(MetricsPipeline pipeline) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = pipeline;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
