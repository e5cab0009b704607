using EntraProvisioningExporter.Configuration.Files;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// Notices a change to the configuration's files by looking at them (<see cref="ConfigurationFiles.Fingerprint"/>) every
/// interval, on a thread of its own. Polling rather than file-system notifications: a Kubernetes volume updates by
/// swapping a symbolic link, which notifications miss; a directory that appears after start is seen; and it holds no
/// watcher handles. It only looks, never reads a file, so a file that would hang a read cannot hang it (a stalled
/// mount can stall its look, and only this thread, until the mount answers). Real time, whatever clock the exporter
/// runs on: the files change in real time.
/// </summary>
public sealed class ConfigurationWatcher : IDisposable
{
    private readonly ConfigurationFiles files;
    private readonly TimeSpan interval;
    private readonly Action changed;
    private readonly Action<Exception> failed;
    private readonly ManualResetEventSlim stop = new();
    private readonly Thread thread;

    public ConfigurationWatcher(ConfigurationFiles files, TimeSpan interval, Action changed, Action<Exception> failed)
    {
        this.files = files;
        this.interval = interval;
        this.changed = changed;
        this.failed = failed;
        thread = new Thread(Watch) { IsBackground = true, Name = "configuration watch" };
        thread.Start();
    }

    private void Watch()
    {
        var last = files.Fingerprint();
        while (!stop.Wait(interval))
        {
            try
            {
                var now = files.Fingerprint();
                if (now == last) continue;
                last = now;
                changed();
            }
            catch (Exception ex)
            {
                // A bug, not a file problem (Fingerprint never throws for those): say so and keep watching.
                failed(ex);
            }
        }
    }

    public void Dispose()
    {
        stop.Set();
        if (thread.Join(TimeSpan.FromSeconds(5))) stop.Dispose();
    }
}
