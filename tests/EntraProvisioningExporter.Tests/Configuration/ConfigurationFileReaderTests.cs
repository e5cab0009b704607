using EntraProvisioningExporter.Configuration.Files;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Configuration;

/// <summary>Every way a configuration file can be wrong is a reason naming the file; nothing blocks a thread for ever.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // FIFOs and symbolic links
public sealed class ConfigurationFileReaderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("entra-reader-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    private static string Reason(Action read) => Assert.Throws<ConfigurationFileException>(read).Reason;

    [Fact]
    public void A_JSON_file_reads_as_configuration_keys()
    {
        File.WriteAllText(PathOf("a.json"),
            "\uFEFF{\"Exporter\": {\"PollInterval\": \"00:00:30\", \"Tenants\": [{\"TenantId\": \"x\"}],},}");
        var settings = ConfigurationFileReader.ReadJson(PathOf("a.json"));
        Assert.Equal("00:00:30", settings["Exporter:PollInterval"]);
        Assert.Equal("x", settings["Exporter:Tenants:0:TenantId"]);
    }

    [Fact]
    public void Malformed_JSON_gives_the_parsers_message_with_line_and_position()
    {
        File.WriteAllText(PathOf("a.json"), "{\n  \"Exporter\": {\"PollInterval\": }\n}");
        var ex = Assert.Throws<ConfigurationFileException>(() => ConfigurationFileReader.ReadJson(PathOf("a.json")));
        Assert.Equal(PathOf("a.json"), ex.File);
        Assert.StartsWith("not valid JSON (line 2, byte 32): '}' is an invalid start of a value.", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "file is empty")]
    [InlineData(" \n\t", "file is empty")]
    [InlineData("[1, 2]", "not valid as settings: Top-level JSON element must be an object. Instead, 'Array' was found.")]
    [InlineData("{\"a\": 1, \"A\": 2}", "not valid as settings: A duplicate key 'A' was found.")]
    public void A_JSON_file_that_holds_no_settings_says_why(string content, string reason)
    {
        File.WriteAllText(PathOf("a.json"), content);
        Assert.Equal(reason, Reason(() => ConfigurationFileReader.ReadJson(PathOf("a.json"))));
    }

    [Fact]
    public void A_file_that_is_not_there_or_not_a_file_says_what_it_is()
    {
        Assert.Equal("required file is missing", Reason(() => ConfigurationFileReader.ReadBytes(PathOf("none.json"))));
        Assert.Equal("required file is missing", Reason(() => ConfigurationFileReader.ReadBytes(PathOf("no-directory/none.json"))));
        Directory.CreateDirectory(PathOf("dir"));
        Assert.Equal("not a regular file (a directory)", Reason(() => ConfigurationFileReader.ReadBytes(PathOf("dir"))));
        File.CreateSymbolicLink(PathOf("dangling"), PathOf("gone"));
        Assert.Equal($"a dangling symbolic link (to {PathOf("gone")}, which does not exist)",
            Reason(() => ConfigurationFileReader.ReadBytes(PathOf("dangling"))));
        File.CreateSymbolicLink(PathOf("a"), PathOf("b"));
        File.CreateSymbolicLink(PathOf("b"), PathOf("a"));
        Assert.Equal("a symbolic link that loops (too many levels of symbolic links)",
            Reason(() => ConfigurationFileReader.ReadBytes(PathOf("a"))));
    }

    [Fact]
    public void A_FIFO_is_refused_at_once_without_waiting_for_a_writer()
    {
        System.Diagnostics.Process.Start("mkfifo", [PathOf("fifo")])!.WaitForExit();
        // On this test's own thread: a blocking open would never return, and the test would hang rather than fail.
        Assert.Equal("not a regular file (a FIFO, socket or device)", Reason(() => ConfigurationFileReader.ReadBytes(PathOf("fifo"))));
    }

    [Fact]
    public void A_device_that_never_ends_is_refused_past_the_size_limit()
    {
        Assert.Equal("larger than 16 MiB, which no configuration file is (a device?)",
            Reason(() => ConfigurationFileReader.ReadBytes("/dev/zero")));
    }

    [Fact]
    public void A_directory_is_checked_for_what_it_is()
    {
        Assert.Null(ConfigurationFileReader.DirectoryProblem(PathOf("absent"), out var missing));
        Assert.True(missing);
        File.WriteAllText(PathOf("file"), "x");
        Assert.Equal("not a directory", ConfigurationFileReader.DirectoryProblem(PathOf("file"), out missing));
        Directory.CreateSymbolicLink(PathOf("dangling"), PathOf("gone"));
        Assert.Equal($"a dangling symbolic link (to {PathOf("gone")}, which does not exist)",
            ConfigurationFileReader.DirectoryProblem(PathOf("dangling"), out missing));
        Directory.CreateDirectory(PathOf("dir/..data"));
        File.WriteAllText(PathOf("dir/Exporter__PollInterval"), "00:01:00");
        Assert.Null(ConfigurationFileReader.DirectoryProblem(PathOf("dir"), out missing));
        Assert.False(missing);
        Assert.Equal([PathOf("dir/Exporter__PollInterval")], ConfigurationFileReader.VisibleEntries(PathOf("dir")));
    }

    [Fact]
    public async Task A_read_that_hangs_is_cut_off_naming_its_file_and_holds_one_thread_only_until_it_returns()
    {
        File.WriteAllText(PathOf("slow.json"), "{}");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        using var stalled = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var hung = ConfigurationFileReader.RunBoundedAsync(() =>
        {
            ConfigurationFileReader.ReadBytes(PathOf("slow.json"));
            entered.Set();
            stalled.Wait(); // as a read from a stalled mount would
            return 0;
        }, time);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));
        Assert.False(hung.IsCompleted);
        time.Advance(ConfigurationFileReader.ReadTimeout);
        var cut = await Assert.ThrowsAsync<ConfigurationFileException>(() => hung);
        Assert.Equal(PathOf("slow.json"), cut.File);
        Assert.Equal("reading did not finish within 10 s (a stalled mount?)", cut.Reason);

        // While it is stuck, no other read starts a thread of its own.
        var refused = await Assert.ThrowsAsync<ConfigurationFileException>(() => ConfigurationFileReader.RunBoundedAsync(() => 1, time));
        Assert.Equal(PathOf("slow.json"), refused.File);
        Assert.StartsWith("an earlier read has not returned", refused.Reason, StringComparison.Ordinal);

        stalled.Set();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                Assert.Equal(2, await ConfigurationFileReader.RunBoundedAsync(() => 2, time));
                break;
            }
            catch (ConfigurationFileException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20); // the released thread is still finishing
            }
        }
    }
}
