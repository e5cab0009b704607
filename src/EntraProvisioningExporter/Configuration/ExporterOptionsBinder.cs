using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace EntraProvisioningExporter.Configuration;

/// <summary>
/// Reads the "Exporter" section out of a configuration: bound, its shard index resolved and validated, every problem
/// collected with its key. The one way a configuration becomes options, at start and at each reload, so both say
/// the same thing about the same files.
/// </summary>
public static class ExporterOptionsBinder
{
    private const string Tenants = $"{ExporterOptions.SectionName}:Tenants";

    /// <summary>
    /// The options <paramref name="configuration"/> gives, or null and why not. <paramref name="secretFiles"/> (a key's
    /// secret file) lets a problem name the file that set a key.
    /// </summary>
    public static (ExporterOptions? Options, IReadOnlyList<string> Problems) Bind(
        IConfiguration configuration, IEnumerable<IValidateOptions<ExporterOptions>> validators, IReadOnlyDictionary<string,
            string> secretFiles)
    {
        var options = new ExporterOptions();
        var problems = BindInto(configuration, options, secretFiles, out var converted).ToList();
        if (!converted) return (null, problems);
        ShardingOptions.ResolveIndex(options);
        problems.AddRange(validators.Select(v => v.Validate(Options.DefaultName, options)).Where(r => r.Failed)
            .SelectMany(r => r.Failures ?? []));
        return problems.Count == 0 ? (options, []) : (null, problems);
    }

    /// <summary>
    /// Binds the section into <paramref name="options"/> (the options pipeline's step, before validation): the
    /// problems that make the result meaningless to validate (a value that does not convert, misnumbered tenants).
    /// </summary>
    public static IReadOnlyList<string> BindInto(IConfiguration configuration, ExporterOptions options, IReadOnlyDictionary<string,
        string> secretFiles) =>
        BindInto(configuration, options, secretFiles, out _);

    /// <summary>
    /// As above; <paramref name="converted"/> is false when a value did not convert (the options are then not worth validating).
    /// </summary>
    private static IReadOnlyList<string> BindInto(IConfiguration configuration, ExporterOptions options, IReadOnlyDictionary<string,
        string> secretFiles, out bool converted)
    {
        converted = false;
        try
        {
            configuration.GetSection(ExporterOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // Binding throws only this; its message names the key, the type and the value, which a secret file's is not shown.
            var message = ex.Message;
            foreach (var key in secretFiles.Keys)
                if (configuration[key] is { Length: > 0 } secret) message = message.Replace(secret, "(the value of a secret file)",
                    StringComparison.Ordinal);
            return [message];
        }
        converted = true;
        var problems = ListsGivenOneValue(configuration).ToList();
        var misnumbered = MisnumberedTenants(configuration, secretFiles, problems);
        // The binder numbers list entries by position, not by key: those whose key is not their position would be
        // validated, and reported, under another tenant's index.
        if (misnumbered > 0) options.Tenants.RemoveRange(options.Tenants.Count - misnumbered, misnumbered);
        return problems;
    }

    /// <summary>
    /// A list key given one value (Exporter__Metrics__Exclude=process_*, or "Exclude": "process_*" in JSON): the binder
    /// reads a list only from its numbered children and would silently leave it empty. The value is not shown (it
    /// may come from a secret file).
    /// </summary>
    private static IEnumerable<string> ListsGivenOneValue(IConfiguration configuration)
    {
        var section = $"{ExporterOptions.SectionName}:Metrics";
        var keys = new List<string> { Tenants, $"{section}:Include", $"{section}:Exclude" };
        foreach (var tenant in configuration.GetSection(Tenants).GetChildren())
        {
            keys.Add($"{tenant.Path}:ServicePrincipals");
            keys.Add($"{tenant.Path}:Logs:CustomQueries");
            keys.AddRange(tenant.GetSection("Logs:CustomQueries").GetChildren().Select(q => $"{q.Path}:LabelColumns"));
        }
        return keys.Where(key => configuration[key] is { Length: > 0 }).Select(key =>
            $"{key}: is a list: give its entries as {key}:0, {key}:1… " +
            $"(environment {key.Replace(":", "__", StringComparison.Ordinal)}__0; in JSON an array); one value would be ignored.");
    }

    /// <summary>
    /// Tenants are numbered 0, 1, 2… without gaps (Exporter:Tenants:N:…). Each key past the first gap is a problem (a
    /// tenant removed from the middle without renumbering the rest, or a secret file for a tenant that is not there),
    /// named by its own index and the secret file that set it. Returns how many there are.
    /// </summary>
    private static int MisnumberedTenants(IConfiguration configuration, IReadOnlyDictionary<string, string> secretFiles,
        List<string> problems)
    {
        // In configuration-key order, which is the order the binder fills the list in.
        var keys = configuration.GetSection(Tenants).GetChildren().Select(c => c.Key).ToList();
        var numbered = keys.TakeWhile((key, i) => key == i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Count();
        foreach (var key in keys.Skip(numbered))
        {
            var set = configuration.GetSection($"{Tenants}:{key}").AsEnumerable(makePathsRelative: false).Where(kv => kv.Value is not null)
                .Select(kv => kv.Key).Order(StringComparer.OrdinalIgnoreCase).ToList();
            var files = set.Select(k => secretFiles.GetValueOrDefault(k)).ToList();
            var origin = files.All(f => f is not null)
                ? $"set only by secret file {string.Join(", ", files.Distinct(StringComparer.Ordinal))}"
                : $"its keys: {string.Join(", ", set)}";
            var range = numbered switch { 0 => "there is no tenant 0", 1 => "the only tenant is 0",
                _ => $"the tenants are 0–{numbered - 1}" };
            problems.Add($"{Tenants}:{key}: no such tenant: tenants are numbered from 0 without gaps and {range} ({origin}).");
        }
        return keys.Count - numbered;
    }
}
