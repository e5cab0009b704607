namespace EntraProvisioningExporter.Configuration.Files;

/// <summary>
/// A configuration file, secret file or certificate that could not be read: the file and the reason ("required file
/// is missing", "permission denied", the JSON parser's message…). Never carries the file's content.
/// </summary>
public sealed class ConfigurationFileException(string file, string reason) : Exception($"{file}: {reason}")
{
    public string File { get; } = file;

    public string Reason { get; } = reason;
}
