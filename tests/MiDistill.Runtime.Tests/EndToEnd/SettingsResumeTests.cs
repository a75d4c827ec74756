using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Tests.Sweeps;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// resume runs the settings a run started with: settings.json changed since then is refused before
/// anything is touched, and a folder written before settings.json had a checksum still resumes to
/// the numbers of an uninterrupted run.
/// </summary>
public sealed class SettingsResumeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-settings-resume-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    /// <summary>A killable run killed (SIGKILL) after fine-tuning's second epoch; its run folder.</summary>
    private string KilledRun()
    {
        var runs = Path.Combine(_root, "killed");
        using var child = ChildRun.Start(new[] { "run", "killable", "--output", runs, "--cache", Path.Combine(_root, "cache") },
            new Dictionary<string, string> { ["MIDISTILL_TEST_KILL_AT"] = "finetune:2" });
        var (code, output, error) = child.Wait();
        Assert.True(code != 0, $"the run was not killed:\n{output}\n{error}");
        return Directory.GetDirectories(Path.Combine(runs, "killable")).Single();
    }

    // Every file but the lock's own bookkeeping (run.lock, and run.owner, which the killed process left behind).
    private static Dictionary<string, string> Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is not (RunFolder.LockFileName or RunFolder.OwnerFileName))
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void Resume_refuses_settings_changed_since_the_run_started_and_touches_nothing()
    {
        var folder = KilledRun();
        var settings = Path.Combine(folder, RunFolder.SettingsFileName);
        var text = File.ReadAllText(settings);
        int at = text.IndexOf("\"epochs\": 3", StringComparison.Ordinal);
        Assert.True(at > 0, text);
        File.WriteAllText(settings, text[..at] + "\"epochs\": 4" + text[(at + "\"epochs\": 3".Length)..]);
        var before = Snapshot(folder);

        var (code, output, error) = Executable.Run("resume", folder);
        Assert.True(code == 1, $"resume exited {code}:\n{output}\n{error}");
        Assert.StartsWith($"error: {settings}: the run's settings were changed or damaged since the run started (SHA-256 ", error);
        Assert.Contains("restore the file, or start a new run of the recipe", error);
        Assert.DoesNotContain("resuming", output);
        Assert.Equal(before, Snapshot(folder));
    }

    [Fact]
    public void A_run_folder_without_a_settings_checksum_resumes_to_the_numbers_of_an_uninterrupted_run()
    {
        var reference = new KillableRecipe().Run(new RunRequest { OutputDirectory = Path.Combine(_root, "reference"), CacheDirectory = Path.Combine(_root, "reference-cache"), Output = TextWriter.Null });
        var folder = KilledRun();
        // As a run folder of a MiDistill that wrote no checksum leaves it.
        var sidecar = Path.Combine(folder, RunFolder.SettingsChecksumFileName);
        File.Delete(sidecar);

        var log = new StringWriter();
        var resumed = new KillableRecipe().Resume(folder, new RunRequest { Output = log });
        Assert.Contains("note: settings.json has no checksum (a run folder written before MiDistill kept one); resuming with it as it is", log.ToString());
        Assert.Contains("[finetune/default] resuming at epoch 2", log.ToString());
        Assert.Equal(RunComparison.MetricLines(reference.RunFolder), RunComparison.MetricLines(resumed.RunFolder));
        Assert.Equal(RunComparison.ResultsWithoutTime(reference.RunFolder), RunComparison.ResultsWithoutTime(resumed.RunFolder));
        // From now on its settings are checked.
        RunFolder.ReadSettings(folder, out bool @unchecked);
        Assert.False(@unchecked);
    }
}
