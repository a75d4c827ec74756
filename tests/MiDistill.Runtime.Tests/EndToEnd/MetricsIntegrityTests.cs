using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// metrics.jsonl holds every epoch of every stage exactly once, whatever kills, deletions and
/// shared caches happen on the way: compared line by line (times aside) with an uninterrupted run.
/// Runs sharing a teacher cache take turns on an entry; the one that waits gets the finished teacher.
/// </summary>
public sealed class MetricsIntegrityTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-metrics-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string Runs(string name) => Path.Combine(_root, name, "runs");

    private string Cache(string name) => Path.Combine(_root, name, "cache");

    private List<string> Reference() =>
        RunComparison.MetricLines(new KillableRecipe().Run(new RunRequest { OutputDirectory = Runs("reference"), CacheDirectory = Cache("reference"), Output = TextWriter.Null }).RunFolder);

    private static string KilledRun(string runs, string cache, string killAt)
    {
        using var child = ChildRun.Start(new[] { "run", "killable", "--output", runs, "--cache", cache }, new Dictionary<string, string> { ["MIDISTILL_TEST_KILL_AT"] = killAt });
        var (code, output, error) = child.Wait();
        Assert.True(code != 0, $"the run was not killed at {killAt}:\n{output}\n{error}");
        return Directory.GetDirectories(Path.Combine(runs, "killable")).Single();
    }

    [Fact]
    public void A_stage_restarted_after_its_damaged_checkpoint_is_deleted_writes_each_epoch_once()
    {
        var reference = Reference();
        var folder = KilledRun(Runs("killed"), Cache("killed"), "finetune:2");
        var checkpoint = Path.Combine(folder, "checkpoints", "default-seed7-finetune.ckpt");
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => new KillableRecipe().Resume(folder, new RunRequest { Output = TextWriter.Null }));
        Assert.StartsWith(checkpoint, e.Message);
        Assert.EndsWith("delete it to restart this stage from its beginning", e.Message);

        File.Delete(checkpoint);
        var resumed = new KillableRecipe().Resume(folder, new RunRequest { Output = TextWriter.Null });
        Assert.Equal(reference, RunComparison.MetricLines(resumed.RunFolder));
    }

    [Fact]
    public void Two_runs_sharing_a_pretraining_checkpoint_each_record_every_pretraining_epoch()
    {
        var reference = Reference();
        // A is killed after pretraining epoch 2; its checkpoint (end of epoch 1) stays in the shared cache.
        var first = KilledRun(Runs("a"), Cache("shared"), "pretrain:2");
        Assert.Single(Directory.GetFiles(Path.Combine(Cache("shared"), "teachers"), "*.ckpt"));

        // B continues A's pretraining from that checkpoint and finishes the cache entry.
        var log = new StringWriter();
        var second = new KillableRecipe().Run(new RunRequest { OutputDirectory = Runs("b"), CacheDirectory = Cache("shared"), Output = log });
        Assert.Contains("[pretrain/shared] resuming at epoch 2", log.ToString());
        Assert.Equal(reference, RunComparison.MetricLines(second.RunFolder));

        // A, resumed, finds the entry finished and still records all three pretraining epochs.
        var resumed = new KillableRecipe().Resume(first, new RunRequest { Output = TextWriter.Null });
        Assert.Equal(reference, RunComparison.MetricLines(resumed.RunFolder));
    }

    [Fact]
    public void A_second_run_sharing_the_cache_waits_for_the_teacher_being_pretrained_and_uses_it_finished()
    {
        var go = Path.Combine(_root, "go");
        Directory.CreateDirectory(_root);
        // A holds the cache entry, paused inside pretraining (after epoch 1's line) until `go` exists.
        using var first = ChildRun.Start(new[] { "run", "killable", "--output", Runs("a"), "--cache", Cache("shared") },
            new Dictionary<string, string> { ["MIDISTILL_TEST_WAIT_AT"] = "pretrain:1", ["MIDISTILL_TEST_GO_FILE"] = go });
        Assert.True(first.WaitForOutput("[pretrain] pretraining"), first.Output);
        using var second = ChildRun.Start(new[] { "run", "killable", "--output", Runs("b"), "--cache", Cache("shared") });
        Assert.True(second.WaitForOutput($"[pretrain] waiting for process {first.Id} on "), second.Output);
        File.WriteAllText(go, "");

        var (codeA, outputA, errorA) = first.Wait();
        var (codeB, outputB, errorB) = second.Wait();
        Assert.True(codeA == 0, outputA + errorA);
        Assert.True(codeB == 0, outputB + errorB);
        Assert.Contains("[pretrain] using cached teacher", outputB);
        Assert.DoesNotContain("[pretrain] pretraining", outputB);
        var a = Directory.GetDirectories(Path.Combine(Runs("a"), "killable")).Single();
        var b = Directory.GetDirectories(Path.Combine(Runs("b"), "killable")).Single();
        Assert.Equal(RunComparison.ResultsWithoutTime(a), RunComparison.ResultsWithoutTime(b));
        Assert.Empty(Directory.GetFiles(Path.Combine(Cache("shared"), "teachers"), "*.ckpt"));
        Assert.Empty(Directory.GetFiles(Path.Combine(Cache("shared"), "teachers"), "*.tmp"));
    }

    [Fact]
    public void Replicates_lines_carry_their_seed_and_replicate()
    {
        var recipe = new OptionsRecipe(TinyRecipe.Settings.Vanilla with { Run = TinyRecipe.Settings.Vanilla.Run with { Seeds = new[] { 7, 9 } } });
        var report = recipe.Run(new RunRequest { OutputDirectory = Runs("seeds"), CacheDirectory = Cache("seeds"), Output = TextWriter.Null });

        var lines = File.ReadAllLines(Path.Combine(report.RunFolder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string Key(JsonElement e) => $"{e.GetProperty("stage").GetString()}/{e.GetProperty("variant").GetString()}/{e.GetProperty("seed").GetInt32()}/{e.GetProperty("replicate").GetInt32()}/{e.GetProperty("epoch").GetInt32()}";
        Assert.Equal(lines.Count, lines.Select(Key).Distinct().Count());
        var evaluations = lines.Where(e => e.GetProperty("stage").GetString() == "evaluate").Select(Key).ToList();
        Assert.Equal(new[] { "evaluate/vanilla/7/0/0", "evaluate/vanilla/9/1/0" }, evaluations);
        Assert.Contains("finetune/vanilla/9/1/2", lines.Select(Key));
        // Upstream and downstream classes are disjoint and the upstream cap is drawn with the
        // pretraining seed, so both replicates use one teacher: pretrained once, under its own seed.
        var pretraining = lines.Where(e => e.GetProperty("stage").GetString() == "pretrain").Select(Key).ToList();
        Assert.Equal(new[] { "pretrain/shared/0/0/1" }, pretraining);
    }
}

/// <summary>A recipe built from plain C# options.</summary>
internal sealed class OptionsRecipe(Options.ExperimentOptions options) : IRecipe
{
    public string Name => options.Recipe;
    public string SourceFileName => "(plain C#)";
    public string SourceText => "";
    public IReadOnlyList<Options.ExperimentOptions> Variants => new[] { options };
    public ExperimentReport Run(RunRequest request) => Experiment.Run(this, request, new ExperimentHooks());
    public ExperimentReport Resume(string runFolder, RunRequest request) => Experiment.Resume(this, runFolder, request, new ExperimentHooks());
}
