using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Exposition;
using EntraProvisioningExporter.Sources;
using Microsoft.AspNetCore.Http;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// /probe?tenant=NAME: one tenant's metric families, as the multi-target exporter pattern has it, so each tenant is a
/// Prometheus target of its own (its own up, scrape_duration_seconds, sample_limit, interval). Served from what the
/// last publications applied; nothing is fetched at scrape time. The tenant is named by its Name or its TenantId. A
/// tenant that is not configured, or that another shard polls, is a 404 that says so (naming the shard); a missing
/// or repeated parameter is a 400.
/// </summary>
public static class ProbeEndpoint
{
    public const string Path = "/probe";

    /// <summary>Longer than any tenant id or sensible name: refused rather than echoed.</summary>
    private const int MaxTenantLength = 128;

    private const string TextFormat = "text/plain; version=0.0.4; charset=utf-8";

    public static async Task HandleAsync(HttpContext context, RuntimeConfiguration runtime, MetricExpositions expositions)
    {
        context.Response.Headers.XContentTypeOptions = "nosniff";
        var values = context.Request.Query["tenant"];
        if (values.Count != 1 || string.IsNullOrWhiteSpace(values[0]))
        {
            await Text(context, StatusCodes.Status400BadRequest, values.Count > 1
                ? "Give one tenant per probe: /probe?tenant=NAME (a tenant's Name or TenantId).\n"
                : "Missing the tenant parameter: /probe?tenant=NAME (a tenant's Name or TenantId).\n").ConfigureAwait(false);
            return;
        }
        var asked = values[0]!.Trim();
        if (asked.Length > MaxTenantLength || asked.Any(char.IsControl))
        {
            await Text(context, StatusCodes.Status400BadRequest,
                $"The tenant parameter is not a tenant name or id (at most {MaxTenantLength} printable characters).\n")
                .ConfigureAwait(false);
            return;
        }

        var options = runtime.Options;
        var (tenant, problem) = Find(options, asked);
        if (tenant is null)
        {
            await Text(context, problem!.Value.Status, problem.Value.Message).ConfigureAwait(false);
            return;
        }
        var sharding = options.Sharding;
        var count = Math.Max(1, sharding.Count);
        var here = count == 1 ? 0 : sharding.Index ?? 0;
        var owner = TenantSharding.ShardOf(tenant.TenantId!, count);
        if (owner != here)
        {
            await Text(context, StatusCodes.Status404NotFound, $"Tenant '{asked}' is polled by shard {owner} of {count}{PodOf(owner)}, "
                + $"not by this one (shard {here}): probe that shard for it.\n").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = TextFormat;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await expositions.Prometheus.WriteTenantAsync(tenant.TenantId!, context.Response.Body, context.RequestAborted)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The tenant named <paramref name="asked"/> (its TenantId first, then its Name, case-insensitive), or the answer when there is none.
    /// </summary>
    public static (TenantOptions? Tenant, (int Status, string Message)? Problem) Find(ExporterOptions options, string asked)
    {
        var byId = options.Tenants.FirstOrDefault(t => string.Equals(t.TenantId, asked, StringComparison.OrdinalIgnoreCase));
        if (byId is not null) return (byId, null);
        var byName = options.Tenants.Where(t => string.Equals(t.Name, asked, StringComparison.OrdinalIgnoreCase)).ToList();
        return byName.Count switch
        {
            1 => (byName[0], null),
            0 => (null, (StatusCodes.Status404NotFound,
                $"No tenant '{asked}' is configured (Exporter:Tenants: a tenant's Name or TenantId).\n")),
            _ => (null, (StatusCodes.Status400BadRequest, $"{byName.Count} tenants are named '{asked}': probe them by TenantId.\n")),
        };
    }

    /// <summary>In a StatefulSet the owning pod is this pod's name with the owner's ordinal.</summary>
    private static string PodOf(int shard)
    {
        var host = Environment.MachineName;
        if (ShardingOptions.OrdinalOf(host) is not { } ordinal) return "";
        var stem = host[..^ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture).Length];
        return $" (pod {stem}{shard})";
    }

    private static Task Text(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(message);
    }
}
