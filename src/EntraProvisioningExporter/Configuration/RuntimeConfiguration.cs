using EntraProvisioningExporter.Metrics;

namespace EntraProvisioningExporter.Configuration;

/// <summary>
/// The configuration in force: the options validated at start, then each reload that was accepted, and what the
/// exporter says about itself (<see cref="ExporterInfo"/>: intervals, shard, tenants, the last reload). Loops
/// read <see cref="Options"/> at each cycle, so an accepted interval applies from their next tick.
/// </summary>
public sealed class RuntimeConfiguration
{
    private ExporterOptions options;
    private ExporterInfo info;

    public RuntimeConfiguration(ExporterOptions options, ExporterInfo info)
    {
        this.options = options;
        this.info = info;
    }

    public ExporterOptions Options => Volatile.Read(ref options);

    public ExporterInfo Info => Volatile.Read(ref info);

    /// <summary>Raised after <see cref="Info"/> changed, on the reloading thread.</summary>
    public event Action? InfoChanged;

    /// <summary>An accepted reload: the new options and what they make of the exporter's info.</summary>
    public void Accept(ExporterOptions accepted, ExporterInfo acceptedInfo)
    {
        Volatile.Write(ref options, accepted);
        Volatile.Write(ref info, acceptedInfo);
        InfoChanged?.Invoke();
    }

    /// <summary>A refused reload: everything stays, except that the last reload failed.</summary>
    public void Refuse()
    {
        Volatile.Write(ref info, Info with { LastReloadSuccessful = false });
        InfoChanged?.Invoke();
    }
}
