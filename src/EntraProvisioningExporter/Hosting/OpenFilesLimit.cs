using System.Runtime.InteropServices;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE), which bounds how many connections it can hold. The JIT runtime
/// raises the soft limit to the hard one when it starts; the native AOT runtime (the image) does not, and container
/// runtimes often start processes with a soft limit of 1,024, so the exporter raises it itself, once, at start.
/// </summary>
public static partial class OpenFilesLimit
{
    private const int RlimitNofile = 7; // Linux, x64 and arm64
    private const ulong Infinity = ulong.MaxValue;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    /// <summary>Raises the soft limit to the hard one; returns the soft limit in force, null if unlimited or unknown (not Linux).</summary>
    public static long? RaiseSoftToHard()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try { return Raise(); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libc the loader cannot name: serve under the limit the process was given rather than not at all.
            return null;
        }
    }

    private static long? Raise()
    {
        if (GetRlimit(RlimitNofile, out var limit) != 0) return null;
        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (SetRlimit(RlimitNofile, in raised) == 0) limit = raised;
        }
        return limit.Current >= long.MaxValue ? null : (long)limit.Current;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimit(int resource, in Rlimit limit);
}
