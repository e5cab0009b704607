using System.Text.Json.Serialization;

namespace EntraProvisioningExporter.Configuration;

/// <summary>
/// The options as JSON, generated at build time (native AOT has no reflection): how a reload compares the settings
/// it was given with those in force. Used for comparison only; never written anywhere (the options hold secrets).
/// </summary>
[JsonSerializable(typeof(ExporterOptions))]
public sealed partial class OptionsJsonContext : JsonSerializerContext;
