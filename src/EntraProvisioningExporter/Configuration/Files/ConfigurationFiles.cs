using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace EntraProvisioningExporter.Configuration.Files;

/// <summary>
/// The files the configuration is read from, owned by the exporter rather than by .NET's file providers: the JSON
/// settings files (appsettings.json, the ConfigFile) and the SecretsDirectory (one file per setting, a mounted Secret).
/// Each is a configuration provider in its place in the order whose settings only the exporter swaps in:
/// <see cref="ReadAsync"/> reads and checks every file (each way a file can be wrong is a problem naming the file),
/// and <see cref="Apply"/> swaps in what was read, all files at once. So a reload is applied whole or not at all, and
/// a file that vanishes or breaks is a refusal with its reason, never a silent fall-back to defaults.
/// </summary>
public sealed class ConfigurationFiles
{
    private readonly IReadOnlyList<OwnedFile> files;
    private IReadOnlyList<string> watchedAlso = [];
    private bool secretsSeen;

    private ConfigurationFiles(IReadOnlyList<OwnedFile> files) => this.files = files;

    /// <summary>The configuration key naming the JSON settings file (a mounted ConfigMap).</summary>
    public const string ConfigFileKey = "ConfigFile";

    /// <summary>The configuration key naming the directory of secret files (a mounted Secret).</summary>
    public const string SecretsDirectoryKey = "SecretsDirectory";

    /// <summary>The configuration key of how often the files are looked at for a change (00:00:00: never; SIGHUP still reloads).</summary>
    public const string WatchIntervalKey = "ConfigWatchInterval";

    /// <summary>How often the files are looked at for a change; zero: not watched.</summary>
    public TimeSpan WatchInterval { get; private init; } = TimeSpan.FromSeconds(1);

    /// <summary>What the start-up read found worth saying that is not an error (a SecretsDirectory not there yet).</summary>
    public IReadOnlyList<string> Warnings { get; private set; } = [];

    /// <summary>One read of every file: the settings of each, in order, or the problems that refuse them.</summary>
    public sealed record Snapshot(IReadOnlyList<IReadOnlyDictionary<string, string?>> Settings, IReadOnlyDictionary<string,
        string> SecretFiles, bool SecretsPresent, IReadOnlyList<string> Problems);

    private enum Kind { OptionalJson, RequiredJson, Secrets }

    private sealed record OwnedFile(Kind Kind, string Label, string Path, OwnedProvider Provider);

    /// <summary>
    /// Takes the configuration's files over: every JSON file source (appsettings.json and its environment's) becomes
    /// an owned one, and ConfigFile (after them, before the environment) and SecretsDirectory (after the environment,
    /// before the command line) are added. Reads them all, time-boxed; throws <see cref="InvalidConfigurationException"/>
    /// listing every problem, or <see cref="ConfigurationFileException"/> for a read that hung.
    /// </summary>
    public static async Task<ConfigurationFiles> InstallAsync(ConfigurationManager configuration)
    {
        var owned = new List<OwnedFile>();
        IConfigurationBuilder builder = configuration;
        var sources = builder.Sources;
        var configFile = configuration[ConfigFileKey];
        var secrets = configuration[SecretsDirectoryKey];
        var watch = TimeSpan.FromSeconds(1);
        if (configuration[WatchIntervalKey] is { Length: > 0 } interval
            && (!TimeSpan.TryParse(interval, System.Globalization.CultureInfo.InvariantCulture, out watch) || watch < TimeSpan.Zero
                || watch > TimeSpan.FromHours(1)))
            throw new InvalidConfigurationException([$"{WatchIntervalKey}: must be a duration from 00:00:00 (not watched) "
                + $"to 01:00:00; got '{interval}'."]);

        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is not JsonConfigurationSource { FileProvider: PhysicalFileProvider root, Path: { } relative } json) continue;
            var file = new OwnedFile(json.Optional ? Kind.OptionalJson : Kind.RequiredJson, "settings file",
                System.IO.Path.Combine(root.Root, relative), new OwnedProvider());
            owned.Add(file);
            sources[i] = new OwnedSource(file.Provider);
        }
        if (configFile is { Length: > 0 })
        {
            var file = new OwnedFile(Kind.RequiredJson, ConfigFileKey, System.IO.Path.GetFullPath(configFile), new OwnedProvider());
            owned.Add(file);
            // After the JSON files, before the environment (the unprefixed environment source: the host's own come earlier).
            var environment = IndexOf(sources, s => s is EnvironmentVariablesConfigurationSource { Prefix: null or "" }, sources.Count);
            sources.Insert(environment, new OwnedSource(file.Provider));
        }
        if (secrets is { Length: > 0 })
        {
            var file = new OwnedFile(Kind.Secrets, SecretsDirectoryKey, System.IO.Path.GetFullPath(secrets), new OwnedProvider());
            owned.Add(file);
            var commandLine = LastIndexOf(sources, s => s is Microsoft.Extensions.Configuration.CommandLine.CommandLineConfigurationSource,
                sources.Count);
            sources.Insert(commandLine, new OwnedSource(file.Provider));
        }

        var result = new ConfigurationFiles(owned) { WatchInterval = watch };
        var snapshot = await ConfigurationFileReader.RunBoundedAsync(() => Read(owned, secretsSeen: false)).ConfigureAwait(false);
        if (snapshot.Problems.Count > 0) throw new InvalidConfigurationException(snapshot.Problems);
        result.Apply(snapshot);
        if (secrets is { Length: > 0 } && !snapshot.SecretsPresent)
            result.Warnings = [$"{SecretsDirectoryKey} {System.IO.Path.GetFullPath(secrets)} does not exist: no settings are read from it "
                + "until it appears (it is then read as a reload)."];
        return result;
    }

    private static int IndexOf(IList<IConfigurationSource> sources, Func<IConfigurationSource, bool> match, int otherwise)
    {
        for (var i = 0; i < sources.Count; i++) if (match(sources[i])) return i;
        return otherwise;
    }

    private static int LastIndexOf(IList<IConfigurationSource> sources, Func<IConfigurationSource, bool> match, int otherwise)
    {
        for (var i = sources.Count - 1; i >= 0; i--) if (match(sources[i])) return i;
        return otherwise;
    }

    /// <summary>Files whose change should also cause a reload (the certificates the configuration in force names).</summary>
    public void WatchAlso(IEnumerable<string> paths)
        => Volatile.Write(ref watchedAlso,
        [.. paths.Where(p => !string.IsNullOrWhiteSpace(p)).Select(System.IO.Path.GetFullPath).Distinct(StringComparer.Ordinal)]);

    /// <summary>
    /// Reads and checks every file, time-boxed (<see cref="ConfigurationFileReader.RunBoundedAsync{T}"/>): nothing is applied.
    /// </summary>
    public Snapshot Read() => Read(files, Volatile.Read(ref secretsSeen));

    private static Snapshot Read(IReadOnlyList<OwnedFile> files, bool secretsSeen)
    {
        var settings = new List<IReadOnlyDictionary<string, string?>>();
        var secretFiles = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        var secretsPresent = false;
        foreach (var file in files)
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            try
            {
                switch (file.Kind)
                {
                    case Kind.OptionalJson when !new FileInfo(file.Path).Exists && !Directory.Exists(file.Path):
                        break;
                    case Kind.OptionalJson or Kind.RequiredJson:
                        foreach (var (key, value) in ConfigurationFileReader.ReadJson(file.Path)) data[key] = value;
                        break;
                    case Kind.Secrets:
                        secretsPresent = ReadSecrets(file, secretsSeen, data, secretFiles, problems);
                        break;
                }
            }
            catch (ConfigurationFileException ex)
            {
                problems.Add($"{file.Label} {ex.File}: {ex.Reason}");
            }
            settings.Add(data);
        }
        return new Snapshot(settings, secretFiles, secretsPresent, problems);
    }

    /// <summary>
    /// Reads a key-per-file directory the way .NET's key-per-file provider does (a file per key, "__" for ":", one trailing newline
    /// dropped).
    /// </summary>
    private static bool ReadSecrets(OwnedFile file, bool seen, Dictionary<string, string?> data, Dictionary<string, string> secretFiles,
        List<string> problems)
    {
        if (ConfigurationFileReader.DirectoryProblem(file.Path, out var missing) is { } problem)
        {
            problems.Add($"{file.Label} {file.Path}: {problem}");
            return false;
        }
        if (missing)
        {
            // Missing at start is allowed (a Secret not mounted yet); once read, vanishing would put every secret back to its default.
            if (seen) problems.Add($"{file.Label} {file.Path}: required directory is missing (it was read before: its settings "
                + "would fall back to their defaults)");
            return false;
        }
        foreach (var entry in ConfigurationFileReader.VisibleEntries(file.Path))
        {
            var key = System.IO.Path.GetFileName(entry).Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            try
            {
                var value = ConfigurationFileReader.ReadText(entry);
                value = value.EndsWith("\r\n", StringComparison.Ordinal) ? value[..^2] : value.EndsWith('\n') ? value[..^1] : value;
                if (string.IsNullOrWhiteSpace(value))
                {
                    problems.Add($"secret file {entry}: empty value for {key}");
                    continue;
                }
                data[key] = value;
                secretFiles[key] = entry;
            }
            catch (ConfigurationFileException ex)
            {
                problems.Add($"secret file {ex.File}: {ex.Reason}");
            }
        }
        return true;
    }

    /// <summary>Swaps in what <paramref name="snapshot"/> read (refused snapshots are never applied), then raises one change.</summary>
    public void Apply(Snapshot snapshot)
    {
        if (snapshot.Problems.Count > 0) throw new ArgumentException("A snapshot with problems is never applied.", nameof(snapshot));
        for (var i = 0; i < files.Count; i++) files[i].Provider.Replace(snapshot.Settings[i]);
        if (snapshot.SecretsPresent) Volatile.Write(ref secretsSeen, true);
        SecretFiles = snapshot.SecretFiles;
        // One change for the whole swap: the configuration raises its own change token once.
        if (files.Count > 0) files[^1].Provider.RaiseChanged();
    }

    /// <summary>The secret file each key in force came from.</summary>
    public IReadOnlyDictionary<string, string> SecretFiles { get; private set; } = new Dictionary<string, string>();

    /// <summary>
    /// The configuration <paramref name="snapshot"/> would make: <paramref name="live"/>'s providers in their order,
    /// the owned ones holding the snapshot's settings. Nothing live changes; dispose it after use.
    /// </summary>
    public ConfigurationRoot Candidate(IConfigurationRoot live, Snapshot snapshot)
    {
        var providers = live.Providers.Select(p =>
        {
            var index = IndexOfProvider(p);
            if (index < 0) return (IConfigurationProvider)new ReadThroughProvider(p);
            var candidate = new OwnedProvider();
            candidate.Replace(snapshot.Settings[index]);
            return candidate;
        }).ToList();
        return new ConfigurationRoot(providers);
    }

    private int IndexOfProvider(IConfigurationProvider provider)
    {
        for (var i = 0; i < files.Count; i++) if (ReferenceEquals(files[i].Provider, provider)) return i;
        return -1;
    }

    /// <summary>
    /// A cheap description of every owned file and directory (and of the files <see cref="WatchAlso"/> named): type,
    /// link target, size, modification time and permissions, never the content. It changes when a file is written, replaced,
    /// removed or re-linked (a Kubernetes volume's ..data swap). Never throws.
    /// </summary>
    public string Fingerprint()
    {
        var parts = new List<string>();
        foreach (var file in files)
        {
            parts.Add(Describe(file.Path));
            if (file.Kind == Kind.Secrets && Directory.Exists(file.Path))
            {
                try
                {
                    parts.AddRange(Directory.EnumerateFileSystemEntries(file.Path).Order(StringComparer.Ordinal).Select(Describe));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    parts.Add($"{file.Path}: {ex.GetType().Name}");
                }
            }
        }
        parts.AddRange(Volatile.Read(ref watchedAlso).Select(Describe));
        return string.Join("\n", parts);
    }

    private static string Describe(string path)
    {
        try
        {
            var volume = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? "/", "..data");
            var swap = new FileInfo(volume).LinkTarget; // a Kubernetes volume swaps this link on each update
            if (Directory.Exists(path))
            {
                var d = new DirectoryInfo(path);
                return $"{path} dir {d.LinkTarget} {d.LastWriteTimeUtc.Ticks} {Mode(d)} {swap}";
            }
            var f = new FileInfo(path);
            if (!f.Exists) return $"{path} absent {swap}";
            if (f.LinkTarget is { } target && !File.Exists(path)) return $"{path} dangling {target} {swap}";
            return $"{path} file {f.LinkTarget} {f.Length} {f.LastWriteTimeUtc.Ticks} {Mode(f)} {swap}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{path}: {ex.GetType().Name}";
        }
    }

    private static string Mode(FileSystemInfo entry) => OperatingSystem.IsWindows() ? "" : entry.UnixFileMode.ToString();

    /// <summary>The settings of one owned file: replaced whole by <see cref="Apply"/>, never loaded by the configuration itself.</summary>
    private sealed class OwnedProvider : ConfigurationProvider
    {
        public void Replace(IReadOnlyDictionary<string, string?> settings) =>
            Data = new Dictionary<string, string?>(settings, StringComparer.OrdinalIgnoreCase);

        public void RaiseChanged() => OnReload();
    }

    private sealed class OwnedSource(OwnedProvider provider) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => provider;
    }

    /// <summary>A live provider seen from a candidate configuration: read through, never loaded again.</summary>
    private sealed class ReadThroughProvider(IConfigurationProvider inner) : IConfigurationProvider
    {
        public bool TryGet(string key, out string? value) => inner.TryGet(key, out value);

        public void Set(string key, string? value) { }

        public IChangeToken GetReloadToken() => NullChangeToken.Singleton;

        public void Load() { }

        public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
            => inner.GetChildKeys(earlierKeys, parentPath);
    }
}
