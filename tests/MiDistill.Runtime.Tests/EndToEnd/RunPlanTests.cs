using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// The run plan end to end: a step only the test project declares (ProbeStep.cs, registered in
/// Probed.Plan.cs) runs in the plan, is skipped when done and resumes after a kill; every pass over
/// a split uses the run's workers.
/// </summary>
public sealed class RunPlanTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-plan-" + Guid.NewGuid().ToString("N"));
    private static readonly string[] Units = { "kd/seed7", "kd/seed8", "baseline/seed7", "baseline/seed8" };

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private RunRequest Request(string name) => new() { OutputDirectory = Path.Combine(_root, name, "runs"), CacheDirectory = Path.Combine(_root, name, "cache"), Output = TextWriter.Null };

    private static string[] ProbeLog(string folder) => File.ReadAllLines(Path.Combine(folder, "probe-log.txt"));

    [Fact]
    public void The_plan_lists_the_recipes_own_step_after_distill()
    {
        var output = new StringWriter();
        Assert.Equal(0, RecipeHost.Main(new[] { "show", "probed", "--plan" }, RecipeRegistry.All, output, TextWriter.Null));
        var text = output.ToString();
        Assert.Contains("plan of `probed`: 4 unit(s)", text);
        Assert.Contains("  kd/seed7: data, pretrain, score-pretrained, finetune, analyze-teacher, distill, probe, evaluate", text);
        Assert.Contains("  baseline/seed8: data, distill, probe, evaluate", text);
        Assert.Matches(@"\n  probe +data, student -> -  \[kept in the run folder\]", text);
    }

    [Fact]
    public void A_test_projects_step_runs_once_per_unit_counts_what_the_results_say_and_is_skipped_when_done()
    {
        var report = new ProbedRecipe().Run(Request("run"));
        Assert.Equal(Units.OrderBy(u => u), ProbeLog(report.RunFolder).OrderBy(u => u));
        // The probe's own count of correct test predictions agrees with the evaluate step's accuracy.
        foreach (var result in report.Results)
        {
            var probe = File.ReadAllText(ProbeStep.FileOf(report.RunFolder, $"{result.Variant}/seed{result.Seed}")).Split('/');
            Assert.Equal(result.Student["acc"], double.Parse(probe[0]) / double.Parse(probe[1]), 12);
        }

        // Resumed when finished: nothing is computed again.
        new ProbedRecipe().Resume(report.RunFolder, new RunRequest { Output = TextWriter.Null });
        Assert.Equal(4, ProbeLog(report.RunFolder).Length);
    }

    [Fact]
    public void Killed_inside_its_own_step_or_before_it_the_run_resumes_to_the_uninterrupted_runs_numbers()
    {
        var reference = new ProbedRecipe().Run(Request("reference")).RunFolder;

        // Killed inside the probe of the second unit: the first unit's probe is kept, the second runs again.
        var inside = Killed("inside", new() { ["MIDISTILL_TEST_KILL_IN_PROBE"] = "kd/seed8" });
        Assert.Equal(new[] { "kd/seed7", "kd/seed8" }, ProbeLog(inside));
        new ProbedRecipe().Resume(inside, new RunRequest { Output = TextWriter.Null });
        Assert.Equal(new[] { "kd/seed7", "kd/seed8", "kd/seed8", "baseline/seed7", "baseline/seed8" }, ProbeLog(inside));

        // Killed during a distillation epoch, before the probe of that unit ever ran.
        var before = Killed("before", new() { ["MIDISTILL_TEST_KILL_AT"] = "distill:1" });
        Assert.False(File.Exists(Path.Combine(before, "probe-log.txt")));
        new ProbedRecipe().Resume(before, new RunRequest { Output = TextWriter.Null });
        Assert.Equal(Units, ProbeLog(before));

        foreach (var folder in new[] { inside, before })
        {
            Assert.Equal(RunComparison.MetricLines(reference), RunComparison.MetricLines(folder));
            Assert.Equal(RunComparison.ResultsWithoutTime(reference), RunComparison.ResultsWithoutTime(folder));
            foreach (var unit in Units)
                Assert.Equal(File.ReadAllText(ProbeStep.FileOf(reference, unit)), File.ReadAllText(ProbeStep.FileOf(folder, unit)));
        }
    }

    private string Killed(string name, Dictionary<string, string> environment)
    {
        var runs = Path.Combine(_root, name, "runs");
        using var child = ChildRun.Start(new[] { "run", "probed", "--output", runs, "--cache", Path.Combine(_root, name, "cache") }, environment);
        var (code, output, error) = child.Wait();
        Assert.True(code != 0, $"the run was not killed:\n{output}\n{error}");
        return Directory.GetDirectories(Path.Combine(runs, "probed")).Single();
    }

    [Fact]
    public void Validation_test_evaluation_transfer_labelling_and_the_analyses_use_the_runs_workers()
    {
        var opened = new List<(int Images, int Workers)>();
        using (BatchStream.Observe((images, workers) => { lock (opened) opened.Add((images, workers)); }))
            new ProbedRecipe().Run(Request("workers") with { Workers = 3, Variants = new[] { "kd" } });

        Assert.All(opened, o => Assert.Equal(3, o.Workers));
        // Per unit (seeds 7 and 8): the test split (200 images) for the information plane, the
        // teacher and the student; the transfer set (50) labelled once; the validation split (10)
        // after each fine-tuning and distillation epoch.
        Assert.Equal(2 * 3, opened.Count(o => o.Images == 200));
        Assert.Equal(2 * 1, opened.Count(o => o.Images == 50));
        Assert.Equal(2 * (2 + 2), opened.Count(o => o.Images == 10));
    }
}
