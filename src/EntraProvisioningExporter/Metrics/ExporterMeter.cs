using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reflection;
using EntraProvisioningExporter.Configuration;

namespace EntraProvisioningExporter.Metrics;

/// <summary>
/// The two Meters all instruments live on, plus what the exporters need to know about them: the series each
/// instrument may have at most (so OpenTelemetry's cardinality limit never drops a series up to MaxJobs jobs),
/// and the poll interval quoted in HELP texts.
/// <see cref="Meter"/> holds the polled instruments, whose values change only when a source publishes a job or
/// log snapshot (every per-job series but the ages); <see cref="Live"/> holds the rest: the exporter's own
/// health and the values computed at collection time. The split lets /metrics render the polled families once
/// per change of the snapshots (<see cref="Exposition.PolledFamiliesCache"/>) and collect only the live ones per scrape.
/// </summary>
public sealed class ExporterMeter : IDisposable
{
    public const string DefaultName = "EntraProvisioningExporter";

    private readonly ConcurrentDictionary<string, int> cardinality = new(StringComparer.Ordinal);

    public ExporterMeter(ExporterOptions options, string name = DefaultName)
    {
        Options = options;
        Meter = new Meter(name, Version);
        Live = new Meter(name + LiveSuffix, Version);
    }

    private const string LiveSuffix = ".Live";

    /// <summary>Instruments whose values are a function of the job and log snapshots alone.</summary>
    public Meter Meter { get; }

    /// <summary>Instruments whose values change between snapshots: self-metrics, health, ages computed at collection.</summary>
    public Meter Live { get; }

    public bool Owns(Instrument instrument) => instrument.Meter == Meter || instrument.Meter == Live;
    public ExporterOptions Options { get; }

    public static string Version { get; } =
        typeof(ExporterMeter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Declares how many series per job an instrument has; call before creating the instrument.</summary>
    public void PlanSeries(string instrument, int perJob, int fixedSeries = 0) =>
        cardinality[instrument] = checked(perJob * Options.MaxJobs + fixedSeries + 2);

    /// <summary>The instruments with a planned cardinality limit, by name.</summary>
    public IEnumerable<string> LimitedInstruments => cardinality.Keys.Order(StringComparer.Ordinal);

    public int? CardinalityLimitOf(string instrument) => cardinality.TryGetValue(instrument, out var limit) ? limit : null;

    /// <summary>HELP suffix for polled values: they are cached between polls.</summary>
    public string Polled(string what) =>
        $"{what} Polled from Microsoft Graph every {Options.PollInterval.TotalSeconds:0.###}s and cached between polls.";

    /// <summary>HELP suffix for values read from the provisioning logs.</summary>
    public string PolledLogs(string what) =>
        $"{what} Read from the provisioning logs every {Options.PollInterval.TotalSeconds:0.###}s and cached between polls.";

    public void Dispose()
    {
        Meter.Dispose();
        Live.Dispose();
    }
}
