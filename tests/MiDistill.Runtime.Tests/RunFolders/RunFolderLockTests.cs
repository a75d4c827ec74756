using System;
using System.Diagnostics;
using System.IO;
using MiDistill.Recipes;
using MiDistill.Runtime.RunFolders;

namespace MiDistill.Runtime.Tests.RunFolders;

/// <summary>One process per run folder: a second one fails at once and names the holder.</summary>
public sealed class RunFolderLockTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-lock-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string NewFolder()
    {
        using var folder = RunFolder.Create(_root, "tiny", "all", "recipe tiny { }\n", SettingsJson.Serialize(new[] { TinyRecipe.Settings.Vanilla }));
        return folder.Path;
    }

    [Fact]
    public void A_second_open_fails_while_the_first_holds_the_folder_and_succeeds_after()
    {
        var path = NewFolder();
        using (RunFolder.Open(path))
        {
            var e = Assert.Throws<IOException>(() => RunFolder.Open(path));
            Assert.Contains($"the run folder is in use by process {Environment.ProcessId}", e.Message);
            Assert.Contains(path, e.Message);
        }
        using var again = RunFolder.Open(path);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_resume_in_another_process_fails_at_once_naming_the_holder()
    {
        var path = NewFolder();
        var metrics = Path.Combine(path, RunFolder.MetricsFileName);
        using var held = RunFolder.Open(path);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "MiDistill.TestRecipes.dll"), "resume", path, "--threads", "1" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        await stdout;
        Assert.Equal(1, process.ExitCode);
        Assert.Contains($"error: {path}: the run folder is in use by process {Environment.ProcessId}", await stderr);
        Assert.False(File.Exists(metrics), "the refused process wrote metrics");
    }
}
