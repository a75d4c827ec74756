using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>Same recipe and seed give the same numbers; a killed run resumes to the same end.</summary>
public sealed class ReproducibilityTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-repro-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private RunRequest Request(string name) => new()
    {
        OutputDirectory = Path.Combine(_root, name, "runs"),
        CacheDirectory = Path.Combine(_root, name, "cache"),
        Output = TextWriter.Null,
    };

    [Fact]
    public void Same_recipe_and_seed_give_identical_metrics()
    {
        // Separate caches: pretraining runs in both, so it is covered too.
        var first = new TinyRecipe().Run(Request("first"));
        var second = new TinyRecipe().Run(Request("second"));

        var a = RunComparison.MetricLines(first.RunFolder);
        Assert.Equal(1 + 2 * (2 + 1) + 2, a.Count); // pretrain, per variant finetune 2 + distill 1, two evaluate lines
        Assert.Equal(a, RunComparison.MetricLines(second.RunFolder));
        Assert.Equal(RunComparison.ResultsWithoutTime(first.RunFolder), RunComparison.ResultsWithoutTime(second.RunFolder));
    }

    [Fact]
    public void Run_killed_mid_epoch_resumes_to_the_same_final_metrics()
    {
        var reference = new ResumableRecipe().Run(Request("reference"));

        // The same recipe in a child process, killed (SIGKILL) as soon as a mid-stage checkpoint exists.
        var output = Path.Combine(_root, "killed", "runs");
        var executable = Path.Combine(AppContext.BaseDirectory, "MiDistill.TestRecipes.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { executable, "run", "resumable", "--output", output, "--cache", Path.Combine(_root, "killed", "cache") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var process = Process.Start(start)!)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var deadline = Stopwatch.StartNew();
            while (!StageCheckpointExists(output) && !process.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2))
                System.Threading.Thread.Sleep(5);
            Assert.False(process.HasExited, "the run finished before it could be killed; make the `resumable` recipe longer");
            process.Kill();
            process.WaitForExit();
        }

        var folder = Directory.GetDirectories(Path.Combine(output, "resumable")).Single();
        Assert.False(File.Exists(Path.Combine(folder, "results.csv")));

        var log = new StringWriter();
        var resumed = new ResumableRecipe().Resume(folder, new RunRequest { Output = log });

        Assert.Contains("resuming at epoch", log.ToString());
        Assert.Equal(RunComparison.ResultsWithoutTime(reference.RunFolder), RunComparison.ResultsWithoutTime(resumed.RunFolder));
        Assert.Equal(RunComparison.MetricLines(reference.RunFolder), RunComparison.MetricLines(resumed.RunFolder));
    }

    private static bool StageCheckpointExists(string output)
    {
        var recipeFolder = Path.Combine(output, "resumable");
        if (!Directory.Exists(recipeFolder)) return false;
        return Directory.GetDirectories(recipeFolder)
            .Select(run => Path.Combine(run, "checkpoints"))
            .Where(Directory.Exists)
            .Any(checkpoints => Directory.GetFiles(checkpoints, "*.ckpt").Length > 0);
    }
}
