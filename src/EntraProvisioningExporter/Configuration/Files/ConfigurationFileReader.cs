using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Win32.SafeHandles;

namespace EntraProvisioningExporter.Configuration.Files;

/// <summary>
/// Reads the files a configuration comes from (JSON settings files, secret files, certificates) so that every way a
/// file can be wrong ends in a <see cref="ConfigurationFileException"/> naming the file and the reason, never in a
/// silent default or a thread stuck for ever: a missing file, a dangling or looping symbolic link, a directory, a
/// FIFO, socket or device in place of a file, a permission denied, an empty file, a file too large, malformed JSON.
/// A FIFO is opened without blocking and refused; a read that hangs in the kernel (a stalled network mount) is cut
/// off by <see cref="RunBoundedAsync{T}"/>.
/// </summary>
public static partial class ConfigurationFileReader
{
    /// <summary>No configuration, secret or certificate file is this large: a bigger one is not what was meant (a device, a log).</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>How long reading and checking a whole configuration may take before it is refused.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private const int ENOENT = 2, ENXIO = 6, EACCES = 13, ENOTDIR = 20, ELOOP = 40;
    private const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000; // Linux (x86-64 and arm64 alike)

    private static readonly Lock Gate = new();
    private static (Thread Thread, ReadContext Context, DateTimeOffset Since)? stuck;

    [ThreadStatic] private static ReadContext? current;

    /// <summary>What a bounded read is reading now, to name it if it hangs.</summary>
    private sealed class ReadContext
    {
        public volatile string? Path;
    }

    /// <summary>
    /// Runs <paramref name="read"/> on a thread of its own for at most <see cref="ReadTimeout"/>. A read that does not
    /// return in time fails naming the file it was in, and keeps only that one thread: until it returns, every later
    /// run fails at once naming the same file, so a stalled mount never piles up blocked threads. The time is
    /// <paramref name="time"/>'s (the system clock unless a test gives its own).
    /// </summary>
    public static Task<T> RunBoundedAsync<T>(Func<T> read, TimeProvider? time = null)
    {
        lock (Gate)
        {
            if (stuck is { } s)
            {
                if (s.Thread.IsAlive)
                    throw new ConfigurationFileException(s.Context.Path ?? "(configuration files)",
                        $"an earlier read has not returned for {((time ?? TimeProvider.System).GetUtcNow() - s.Since).TotalSeconds:0} s (a "
                            + "stalled mount?); nothing is read until it does");
                stuck = null;
            }
        }
        var context = new ReadContext();
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            current = context;
            try
            {
                result.TrySetResult(read());
            }
            catch (Exception ex)
            {
                result.TrySetException(ex);
            }
            finally
            {
                current = null;
            }
        }) { IsBackground = true, Name = "configuration read" };
        thread.Start();
        return WaitAsync(result.Task, thread, context, time ?? TimeProvider.System);
    }

    private static async Task<T> WaitAsync<T>(Task<T> read, Thread thread, ReadContext context, TimeProvider time)
    {
        try
        {
            return await read.WaitAsync(ReadTimeout, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (Gate) stuck = (thread, context, time.GetUtcNow());
            // The read may still finish; its outcome is not used, so observe it rather than leave it unobserved.
            _ = read.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted,
                TaskScheduler.Default);
            throw new ConfigurationFileException(context.Path ?? "(configuration files)",
                $"reading did not finish within {ReadTimeout.TotalSeconds:0} s (a stalled mount?)");
        }
    }

    /// <summary>The whole content of a regular file.</summary>
    public static byte[] ReadBytes(string path)
    {
        if (current is { } context) context.Path = path;
        if (Directory.Exists(path)) throw new ConfigurationFileException(path, "not a regular file (a directory)");
        using var stream = Open(path);
        if (!stream.CanSeek) throw new ConfigurationFileException(path, "not a regular file (a FIFO, socket or device)");
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxFileBytes) throw new ConfigurationFileException(path,
                    $"larger than {MaxFileBytes / 1024 / 1024} MiB, which no configuration file is (a device?)");
            }
        }
        catch (IOException ex)
        {
            throw new ConfigurationFileException(path, $"could not be read: {ex.Message}");
        }
        return buffer.ToArray();
    }

    /// <summary>A text file's content (UTF-8, a byte order mark dropped).</summary>
    public static string ReadText(string path) => new UTF8Encoding(false).GetString(ReadBytes(path)).TrimStart('\uFEFF');

    /// <summary>A JSON settings file as configuration keys and values, exactly as .NET's JSON configuration provider reads it.</summary>
    public static IDictionary<string, string?> ReadJson(string path)
    {
        var bytes = ReadBytes(path);
        if (string.IsNullOrWhiteSpace(Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF'))) throw new ConfigurationFileException(path,
            "file is empty");
        try
        {
            var parser = new JsonSettings();
            parser.Load(new MemoryStream(bytes));
            return parser.Settings;
        }
        catch (JsonException ex)
        {
            var at = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            throw new ConfigurationFileException(path, $"not valid JSON{at}: {ex.Message}");
        }
        catch (FormatException ex)
        {
            throw new ConfigurationFileException(path, $"not valid as settings: {ex.Message}");
        }
    }

    /// <summary>
    /// Why <paramref name="path"/> cannot be read as a directory, or null when it is one (or does not exist: see <paramref
    /// name="missing"/>).
    /// </summary>
    public static string? DirectoryProblem(string path, out bool missing)
    {
        if (current is { } context) context.Path = path;
        missing = false;
        if (Directory.Exists(path)) return null;
        var entry = new FileInfo(path); // the entry itself, a symbolic link not followed
        if (!entry.Exists)
        {
            missing = true;
            return null;
        }
        if (entry.LinkTarget is { } target)
        {
            FileSystemInfo? final;
            try
            {
                final = File.ResolveLinkTarget(path, returnFinalTarget: true);
            }
            catch (IOException)
            {
                return "a symbolic link that loops (too many levels of symbolic links)";
            }
            if (final is null || !(File.Exists(final.FullName) || Directory.Exists(final.FullName)))
                return $"a dangling symbolic link (to {target}, which does not exist)";
        }
        return "not a directory";
    }

    /// <summary>The entries of a directory, without the hidden ones (a Kubernetes volume's ..data and timestamped directories).</summary>
    public static IReadOnlyList<string> VisibleEntries(string directory)
    {
        if (current is { } context) context.Path = directory;
        try
        {
            return [.. Directory.EnumerateFileSystemEntries(directory).Where(e => !Path.GetFileName(e).StartsWith('.'))
                .Order(StringComparer.Ordinal)];
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigurationFileException(directory, "permission denied");
        }
        catch (DirectoryNotFoundException)
        {
            throw new ConfigurationFileException(directory, "required directory is missing");
        }
        catch (IOException ex)
        {
            throw new ConfigurationFileException(directory, $"could not be listed: {ex.Message}");
        }
    }

    private static FileStream Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                return new FileStream(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete),
                    FileAccess.Read, 1);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new ConfigurationFileException(path, Missing(path));
            }
            catch (UnauthorizedAccessException)
            {
                throw new ConfigurationFileException(path, "permission denied");
            }
            catch (IOException ex)
            {
                throw new ConfigurationFileException(path, $"could not be opened: {ex.Message}");
            }
        }
        // Opened non-blocking, so a FIFO in place of the file cannot hold the thread in open(2) until a writer comes.
        var fd = OpenFile(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new ConfigurationFileException(path, errno switch
            {
                ENOENT or ENOTDIR => Missing(path),
                EACCES => "permission denied",
                ELOOP => "a symbolic link that loops (too many levels of symbolic links)",
                ENXIO => "not a regular file (a socket)",
                _ => $"could not be opened: {Marshal.GetPInvokeErrorMessage(errno)}",
            });
        }
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
    }

    private static string Missing(string path) =>
        new FileInfo(path).LinkTarget is { } target ? $"a dangling symbolic link (to {target}, which does not exist)"
            : "required file is missing";

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);

    /// <summary>.NET's own JSON configuration parser (the public provider), with its result readable.</summary>
    private sealed class JsonSettings() : JsonStreamConfigurationProvider(new JsonStreamConfigurationSource())
    {
        public IDictionary<string, string?> Settings => Data;
    }
}
