using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;
using Xunit.Abstractions;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>An uninterrupted run of the `resumable` recipe, which every kill test of the class compares with.</summary>
public sealed class ResumableReference : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-repro-reference-" + Guid.NewGuid().ToString("N"));

    public ResumableReference() =>
        Folder = new ResumableRecipe().Run(new RunRequest { OutputDirectory = Path.Combine(_root, "runs"), CacheDirectory = Path.Combine(_root, "cache"), Output = TextWriter.Null }).RunFolder;

    public string Folder { get; }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}

/// <summary>Same recipe and seed give the same numbers; a killed run resumes to the same end.</summary>
public sealed class ReproducibilityTests : IDisposable, IClassFixture<ResumableReference>
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-repro-" + Guid.NewGuid().ToString("N"));
    private readonly ResumableReference _reference;
    private readonly ITestOutputHelper _log;

    public ReproducibilityTests(ResumableReference reference, ITestOutputHelper log) => (_reference, _log) = (reference, log);

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
        Assert.Equal(RunComparison.ResultsWithoutTime(_reference.Folder), RunComparison.ResultsWithoutTime(resumed.RunFolder));
        Assert.Equal(RunComparison.MetricLines(_reference.Folder), RunComparison.MetricLines(resumed.RunFolder));
    }

    /// <summary>
    /// One run killed again and again, each time at a moment a seeded generator chooses: after a
    /// random delay (any moment: inside a step, an evaluation, a file write, the final tables), or
    /// at the n-th atomic write of the process, between the temporary file and its rename (stage
    /// checkpoint, model file, state.json; the test recipes' seam KillPoints). Each kill is followed
    /// by `resume` in a new process, until one finishes; every metric line and the results must then
    /// be those of the uninterrupted run.
    /// </summary>
    [Fact]
    public void Run_killed_at_seeded_random_moments_and_between_temporary_writes_and_renames_resumes_to_the_same_metrics()
    {
        const int Seed = 20261208;
        var random = new Random(Seed);
        var output = Path.Combine(_root, "chain", "runs");
        var cache = Path.Combine(_root, "chain", "cache");
        // First four kills between a temporary write and its rename, at the n-th write of one kind of
        // file in the process: a model file and state.json (in a seeded order, while pretraining ends),
        // then two stage checkpoints (a whole run writes about 110). From a fresh run they land where
        // the seed says on any machine. Then four after random delays, which land wherever the machine
        // has got to (a process that finishes before its kill ends the chain).
        var renames = new Queue<(string Suffix, int Max)>(new[] { ("state.json", 2), (".safetensors", 1) }.OrderBy(_ => random.Next())
            .Concat(new[] { (".ckpt", 12), (".ckpt", 12) }));
        var kills = Enumerable.Repeat("rename", renames.Count).Concat(Enumerable.Repeat("time", 4)).ToList();
        var log = new List<string>();
        string? folder = null;
        int renameKills = 0, timedKills = 0;
        bool finished = false;
        foreach (var kill in kills.Append("none"))
        {
            var args = folder is null ? new[] { "run", "resumable", "--output", output, "--cache", cache } : new[] { "resume", folder };
            var environment = new Dictionary<string, string>();
            // The run trains for about 5 s on one thread here, after a second of start-up.
            string at = "";
            int delay = kill == "time" ? random.Next(0, 1000) : 0;
            if (kill == "rename")
            {
                var (suffix, max) = renames.Dequeue();
                at = $"{random.Next(1, max + 1).ToString(CultureInfo.InvariantCulture)}:{suffix}";
                environment["MIDISTILL_TEST_KILL_BEFORE_RENAME"] = at;
            }
            var watch = Stopwatch.StartNew();
            using var child = ChildRun.Start(args, environment);
            bool killedHere = false;
            if (kill == "time" && child.WaitForOutput("run folder: "))
            {
                // From the moment the process holds its run folder.
                Thread.Sleep(delay);
                if (!child.HasExited)
                {
                    child.Kill();
                    killedHere = true;
                }
            }
            var (code, stdout, stderr) = child.Wait();
            bool killedAtRename = stderr.Contains("test: killed before renaming ", StringComparison.Ordinal);
            var lastLine = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            log.Add($"{args[0]} with kill {kill}{(kill == "rename" ? $" at atomic write {at}" : kill == "time" ? $" after {delay} ms" : "")}: exit {code} after {watch.Elapsed.TotalSeconds:0.0} s" +
                (killedAtRename ? $"; {stderr.Split('\n').First(l => l.StartsWith("test: ", StringComparison.Ordinal))}" : killedHere ? $"; killed after `{lastLine}`" : ""));
            folder ??= Directory.Exists(Path.Combine(output, "resumable")) ? Directory.GetDirectories(Path.Combine(output, "resumable")).Single() : null;
            if (code == 0)
            {
                finished = true;
                break;
            }
            Assert.True(killedHere || killedAtRename, $"the process failed without being killed (exit {code}):\n{stdout}\n{stderr}\n{string.Join("\n", log)}");
            Assert.NotNull(folder);
            if (killedAtRename) renameKills++;
            else timedKills++;
        }
        var story = $"kills chosen with seed {Seed}:\n" + string.Join("\n", log);
        _log.WriteLine(story);
        Assert.True(finished, "the run did not finish after its kills\n" + story);
        Assert.True(renameKills == 4 && timedKills >= 2, $"too few kills landed ({renameKills} of 4 between a temporary write and its rename, {timedKills} of 4 timed, at least 2 needed)\n" + story);

        var resumed = RunComparison.MetricLines(folder!);
        var reference = RunComparison.MetricLines(_reference.Folder);
        for (int i = 0; i < Math.Max(resumed.Count, reference.Count); i++)
            Assert.True(i < resumed.Count && i < reference.Count && resumed[i] == reference[i],
                $"metrics.jsonl line {i + 1} differs from the uninterrupted run's:\n  uninterrupted: {(i < reference.Count ? reference[i] : "(none)")}\n  killed+resumed: {(i < resumed.Count ? resumed[i] : "(none)")}\n" + story);
        Assert.Equal(RunComparison.ResultsWithoutTime(_reference.Folder), RunComparison.ResultsWithoutTime(folder!));
        // The temporary files of the processes killed before their renames are gone from the run folder.
        var left = Directory.GetFiles(folder!, "*.tmp", SearchOption.AllDirectories);
        Assert.True(left.Length == 0, "temporary files of killed processes are still in the run folder: " + string.Join(", ", left));
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
