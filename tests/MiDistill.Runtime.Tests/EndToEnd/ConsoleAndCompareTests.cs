using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MiDistill.Recipes;
using MiDistill.Runtime.Tests.Reporting;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>The live display under a real pseudo-terminal, --quiet and --verbose, `compare`, and TensorBoard after a kill.</summary>
public sealed class ConsoleAndCompareTests : IClassFixture<TinyReportingRun>, IDisposable
{
    private readonly TinyReportingRun _run;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-console-" + Guid.NewGuid().ToString("N"));

    public ConsoleAndCompareTests(TinyReportingRun run) => _run = run;

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>Runs the test recipes under `script` (util-linux): the child's stdout is a pseudo-terminal 160 columns wide.</summary>
    private static (int Code, string Output) UnderTerminal(params string[] args)
    {
        var command = "stty cols 160 rows 40; exec dotnet " + Quote(Path.Combine(AppContext.BaseDirectory, "MiDistill.TestRecipes.dll")) + " " + string.Join(" ", args.Select(Quote));
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-q", "-f", "-e", "-c", command, "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm-256color";
        start.Environment.Remove("MIDISTILL_PLAIN");
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new Xunit.Sdk.XunitException($"`script` (util-linux) is needed for the terminal test: {e.Message}"); }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2))) { process.Kill(entireProcessTree: true); throw new TimeoutException("the run under a terminal did not end"); }
            process.WaitForExit();
            return (process.ExitCode, output.Result);
        }
    }

    [Fact]
    public void On_a_terminal_a_live_display_shows_step_loss_throughput_and_time_left_and_compare_sets_the_runs_side_by_side()
    {
        var (code, output) = UnderTerminal("run", "tiny", "--variant", "remem", "--threads", "2", "--output", _run.Runs, "--cache", _run.Cache);
        Assert.True(code == 0, output);
        // Spectre.Console draws with escape sequences and redraws in place.
        Assert.Contains("\u001b[", output);
        var plain = Regex.Replace(output, "\u001b\\[[0-9;?]*[A-Za-z]|\u001b[=>]", "");
        Assert.Matches(new Regex(@"\[finetune/remem\] \d/2 step \d/3 loss \d\.\d{3} acc \d+\.\d% \d+ img/s"), plain);
        // The remaining-time column (h:mm:ss) and the epoch lines above the display, as in plain output.
        Assert.Matches(new Regex(@"\d:\d\d:\d\d"), plain);
        Assert.Matches(new Regex(@"\[distill/remem\] epoch 1/1  loss \d\.\d{3}  train_acc"), plain);
        Assert.Contains("Saved to ", plain);

        var second = Directory.GetDirectories(Path.Combine(_run.Runs, "tiny")).Single(d => d.EndsWith("-remem", StringComparison.Ordinal));
        var page = Path.Combine(_root, "compare.html");
        using var child = ChildRun.Start(new[] { "compare", _run.Folder, second, "--output", page });
        var (compareCode, text, error) = child.Wait();
        Assert.True(compareCode == 0, error);
        Assert.Contains($"A: {_run.Folder}\n", text);
        Assert.Contains($"B: {second}\n", text);
        // Each run's numbers, from its own results.csv; vanilla ran only in A.
        string Percent(string folder, string variant, int column) =>
            (100 * double.Parse(File.ReadAllLines(Path.Combine(folder, "results.csv")).Single(l => l.StartsWith(variant + ",", StringComparison.Ordinal)).Split(',')[column], CultureInfo.InvariantCulture))
                .ToString("0.0", CultureInfo.InvariantCulture) + "%";
        var remem = text.Split('\n').First(l => l.StartsWith("| remem ", StringComparison.Ordinal)).Split('|').Select(c => c.Trim()).ToList();
        // Columns: variant, then per metric (teacher acc, teacher bal acc, student acc, ...) one cell per run.
        Assert.Equal(new[] { Percent(_run.Folder, "remem", 1), Percent(second, "remem", 1), Percent(_run.Folder, "remem", 2), Percent(second, "remem", 2), Percent(_run.Folder, "remem", 3), Percent(second, "remem", 3) }, remem.Skip(2).Take(6));
        var vanilla = text.Split('\n').Single(l => l.StartsWith("| vanilla ", StringComparison.Ordinal)).Split('|').Select(c => c.Trim()).ToList();
        Assert.Equal(new[] { Percent(_run.Folder, "vanilla", 1), "—" }, vanilla.Skip(2).Take(2));
        // The one setting the second run changed.
        Assert.Matches(new Regex(@"\| remem +\| run\.threads +\| 1 +\| 2 +\|"), text);
        var html = File.ReadAllText(page);
        Assert.Contains("Content-Security-Policy", html);
        Assert.DoesNotMatch(new Regex("(src|href)=\"(https?:)?//"), html);
    }

    [Fact]
    public void Quiet_prints_only_the_results_table_and_the_run_folder()
    {
        using var child = ChildRun.Start(new[] { "run", "tiny", "--variant", "vanilla", "--quiet", "--output", Path.Combine(_root, "runs"), "--cache", _run.Cache });
        var (code, output, error) = child.Wait();
        Assert.True(code == 0, error);
        var folder = Directory.GetDirectories(Path.Combine(_root, "runs", "tiny")).Single();
        Assert.Equal(File.ReadAllText(Path.Combine(folder, "results.md")) + $"Saved to {folder}\n", output.Replace("\r", ""));
        Assert.True(File.Exists(Path.Combine(folder, "report.html")));
    }

    [Fact]
    public void Verbose_adds_progress_lines_within_each_epoch()
    {
        using var child = ChildRun.Start(new[] { "run", "tiny", "--variant", "vanilla", "--verbose", "--output", Path.Combine(_root, "runs"), "--cache", _run.Cache });
        var (code, output, error) = child.Wait();
        Assert.True(code == 0, error);
        var lines = output.Split('\n');
        // Fine-tuning has 3 steps per epoch (40 images, batch 16): lines after steps 1 and 2, then the epoch line.
        var steps = lines.Where(l => l.StartsWith("[finetune/vanilla] epoch 1/2  step ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, steps.Count);
        Assert.Matches(new Regex(@"^\[finetune/vanilla\] epoch 1/2  step 1/3  loss \d\.\d{3}  acc \d+\.\d%  \d+ img/s$"), steps[0]);
        Assert.Contains(lines, l => l.StartsWith("[finetune/vanilla] epoch 1/2  loss ", StringComparison.Ordinal));
    }

    [Fact]
    public void After_a_kill_and_resume_the_events_match_metrics_jsonl_with_no_epoch_twice()
    {
        var runs = Path.Combine(_root, "killed");
        using (var child = ChildRun.Start(new[] { "run", "killable", "--output", runs, "--cache", Path.Combine(_root, "cache") }, new Dictionary<string, string> { ["MIDISTILL_TEST_KILL_AT"] = "finetune:2" }))
            Assert.NotEqual(0, child.Wait().Code);
        var folder = Directory.GetDirectories(Path.Combine(runs, "killable")).Single();
        new KillableRecipe().Resume(folder, new RunRequest { Output = TextWriter.Null });

        var expected = File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .SelectMany(l => l.EnumerateObject().Where(p => p.Name == "loss")
                .Select(p => $"{l.GetProperty("stage").GetString()}/loss {l.GetProperty("epoch").GetInt32()} {((float)p.Value.GetDouble()).ToString("R", CultureInfo.InvariantCulture)}"))
            .OrderBy(s => s, StringComparer.Ordinal).ToList();
        var actual = Directory.GetFiles(Path.Combine(folder, "tensorboard"), "events.out.tfevents.*", SearchOption.AllDirectories)
            .SelectMany(TensorBoardEvents.Read).SelectMany(e => e.Scalars.Where(s => s.Tag.EndsWith("/loss", StringComparison.Ordinal)).Select(s => $"{s.Tag} {e.Step} {s.Value.ToString("R", CultureInfo.InvariantCulture)}"))
            .OrderBy(s => s, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        Assert.Contains("finetune/loss 2 ", string.Join("\n", actual));
    }
}
