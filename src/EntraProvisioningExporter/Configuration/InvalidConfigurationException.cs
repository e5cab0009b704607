namespace EntraProvisioningExporter.Configuration;

/// <summary>
/// A configuration that cannot be used, with every problem found (each naming its key or its file). Start-up exits
/// with code 2 listing them; a reload is refused with them.
/// </summary>
public sealed class InvalidConfigurationException(IReadOnlyList<string> problems)
    : Exception($"The configuration is invalid: {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
