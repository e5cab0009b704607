using System.IO.Compression;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Hosting;

public static class ServiceCollectionExtensions
{
    /// <summary>Options, sources, the metric table and its expositions, and health checks: the whole exporter.</summary>
    public static IServiceCollection AddEntraProvisioningExporter(this IServiceCollection services, IConfiguration configuration)
    {
        // Bound as a reload binds them, so that a value that does not convert or a misnumbered tenant is a configuration
        // problem (exit code 2) wherever the options are first needed.
        services.AddOptions<ExporterOptions>().Configure<IServiceProvider>((options, sp) =>
        {
            var secretFiles = sp.GetService<Configuration.Files.ConfigurationFiles>()?.SecretFiles ?? new Dictionary<string, string>();
            if (ExporterOptionsBinder.BindInto(configuration, options, secretFiles)
                is { Count: > 0 } problems) throw new InvalidConfigurationException(problems);
        }).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ExporterOptions>, ExporterOptionsValidator>();
        services.PostConfigure<ExporterOptions>(ShardingOptions.ResolveIndex);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ExporterOptions>>().Value);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CredentialFactory>(Sources.Graph.TokenCredentialFactory.Create);

        services.AddSingleton<TenantSnapshotStore>();
        services.AddSingleton<DroppedObjects>();
        services.AddSingleton<TenantSourceFactory>();
        services.AddSingleton<TenantCredentials>();
        services.AddSingleton<MetricsCredentials>();
        services.AddSingleton<SetupCheck>();
        services.AddSingleton<StatusPage>();
        services.AddMetricExpositions();

        services.AddSingleton<PollingWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<PollingWorker>());
        services.AddHostedService<ConfigurationReloader>();
        services.AddHealthChecks().AddCheck<ReadinessHealthCheck>("first-cycle", tags: ["ready"]);
        return services;
    }

    /// <summary>What the exporter says about itself under <paramref name="options"/>.</summary>
    public static ExporterInfo Info(ExporterOptions options, TenantSharding sharding, bool lastReloadSuccessful,
        DateTimeOffset lastReloadSuccess) =>
        new(ExporterVersion.Current, options.PollInterval, sharding.Index, sharding.Count, sharding.Configured, sharding.Assigned.Count,
            lastReloadSuccessful, lastReloadSuccess);

    /// <summary>
    /// The metric table and its expositions (<see cref="MetricExpositions"/>: /metrics through prometheus-net, gzip when
    /// accepted, and, when an OTLP endpoint is configured, OTLP through the OpenTelemetry SDK), which record the
    /// self-metrics.
    /// </summary>
    private static void AddMetricExpositions(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<ExporterOptions>();
            return new RuntimeConfiguration(options,
                Info(options, new TenantSharding(options), true, sp.GetRequiredService<TimeProvider>().GetUtcNow()));
        });
        services.AddSingleton<MetricExpositions>();
        services.AddSingleton<IMetricRecorder>(sp => sp.GetRequiredService<MetricExpositions>());
        services.AddSingleton<ExporterSelfMetrics>();
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true; // the body holds no secret for a compression side channel to leak
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ["text/plain", "application/openmetrics-text"];
        });
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
    }
}
