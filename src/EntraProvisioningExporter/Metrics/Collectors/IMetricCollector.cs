namespace EntraProvisioningExporter.Metrics.Collectors;

/// <summary>A group of related instruments, created once at start-up on the exporter's meter.</summary>
public interface IMetricCollector;
