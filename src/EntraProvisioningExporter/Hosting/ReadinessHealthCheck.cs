using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EntraProvisioningExporter.Hosting;

/// <summary>Ready once every source of every tenant has finished its first cycle, successful or not.</summary>
public sealed class ReadinessHealthCheck(TenantSnapshotStore health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(health.AllFirstCyclesDone
            ? HealthCheckResult.Healthy("Every source has finished its first poll cycle.")
            : HealthCheckResult.Unhealthy("Waiting for the first poll cycle of every source."));
}
