using System;
using System.Diagnostics;
using System.IO;
using MiDistill.Runtime.RunFolders;

namespace MiDistill.Runtime.Tests.RunFolders;

/// <summary>
/// settings.json.sha256: written with settings.json when a run starts, in sha256sum's format, and
/// checked when the settings are read back for a resume.
/// </summary>
public sealed class SettingsChecksumTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-settings-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string NewRun()
    {
        using var run = RunFolder.Create(_root, "r", "all", "recipe r {}\n", "[\n  {\n    \"recipe\": \"r\",\n    \"epochs\": 3\n  }\n]");
        return run.Path;
    }

    [Fact]
    public void A_new_run_folder_carries_a_checksum_that_sha256sum_accepts()
    {
        var folder = NewRun();
        Assert.Matches("^[0-9a-f]{64}  settings.json\n$", File.ReadAllText(Path.Combine(folder, RunFolder.SettingsChecksumFileName)));
        // coreutils' own check, independent of MiDistill's code.
        var start = new ProcessStartInfo("sha256sum") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(RunFolder.SettingsChecksumFileName);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, output);
        Assert.Equal("settings.json: OK", output.Trim());

        Assert.Contains("\"epochs\": 3", RunFolder.ReadSettings(folder, out bool @unchecked));
        Assert.False(@unchecked);
    }

    [Theory]
    [InlineData("edited")]
    [InlineData("truncated")]
    public void Settings_changed_after_the_start_fail_naming_the_file_and_what_to_do(string damage)
    {
        var folder = NewRun();
        var path = Path.Combine(folder, RunFolder.SettingsFileName);
        var text = File.ReadAllText(path);
        File.WriteAllText(path, damage == "edited" ? text.Replace("\"epochs\": 3", "\"epochs\": 4") : text[..(text.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => RunFolder.ReadSettings(folder, out _));
        Assert.StartsWith($"{path}: the run's settings were changed or damaged since the run started (SHA-256 ", e.Message);
        Assert.Contains($"in {RunFolder.SettingsChecksumFileName})", e.Message);
        Assert.EndsWith("restore the file, or start a new run of the recipe", e.Message);
    }

    [Fact]
    public void A_damaged_checksum_file_is_an_error_naming_it()
    {
        var folder = NewRun();
        var sidecar = Path.Combine(folder, RunFolder.SettingsChecksumFileName);
        File.WriteAllText(sidecar, "not a checksum\n");
        var e = Assert.Throws<InvalidDataException>(() => RunFolder.ReadSettings(folder, out _));
        Assert.StartsWith($"{sidecar}: not a checksum of settings.json (expected `<64 hex digits>  settings.json`, found `not a checksum`)", e.Message);
    }

    [Fact]
    public void A_folder_written_before_the_checksum_is_read_as_it_is_and_gets_one_when_opened_to_resume()
    {
        var folder = NewRun();
        var sidecar = Path.Combine(folder, RunFolder.SettingsChecksumFileName);
        var written = File.ReadAllText(sidecar);
        File.Delete(sidecar);

        Assert.Contains("\"epochs\": 3", RunFolder.ReadSettings(folder, out bool @unchecked));
        Assert.True(@unchecked);
        Assert.False(File.Exists(sidecar)); // reading alone changes nothing

        var notes = new StringWriter();
        using (var run = RunFolder.Open(folder)) Assert.Contains("\"epochs\": 3", run.ReadSettings(notes));
        Assert.Equal("note: settings.json has no checksum (a run folder written before MiDistill kept one); resuming with it as it is, and recording its checksum in settings.json.sha256 now\n", notes.ToString());
        Assert.Equal(written, File.ReadAllText(sidecar));
        RunFolder.ReadSettings(folder, out @unchecked);
        Assert.False(@unchecked);
    }
}
