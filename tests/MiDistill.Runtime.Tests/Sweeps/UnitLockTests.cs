using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Sweeps;
using MiDistill.Runtime.Tests.EndToEnd;

namespace MiDistill.Runtime.Tests.Sweeps;

/// <summary>
/// One process per sweep unit (docs/sweeps.md): a second process started on a unit that is running
/// (a unit submitted twice) exits at once naming the holder, and leaves the first one's status and
/// run folder alone.
/// </summary>
public sealed class UnitLockTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-unitlock-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void A_second_process_on_a_running_unit_exits_at_once_naming_the_holder()
    {
        var sweep = Path.Combine(_root, "sweep");
        var go = Path.Combine(_root, "go");
        // The killable recipe (one variant, one seed) as a one-unit sweep.
        var plan = Executable.Run("plan", "killable", "--sweep", sweep, "--cache", Path.Combine(_root, "cache"));
        Assert.True(plan.Code == 0, plan.Output + plan.Error);
        var unit = SweepPlan.Load(sweep).Units.Single();
        var unitFolder = SweepPlan.Load(sweep).UnitFolder(sweep, unit);

        // The first process holds the unit, paused after fine-tuning's first epoch until `go` exists.
        using var first = ChildRun.Start(new[] { "unit", sweep, "0" },
            new Dictionary<string, string> { ["MIDISTILL_TEST_WAIT_AT"] = "finetune:1", ["MIDISTILL_TEST_GO_FILE"] = go });
        Assert.True(first.WaitForOutput("[finetune/default] epoch 1/3"), first.Output);
        var metrics = Path.Combine(SweepPlan.Load(sweep).RunFolder(sweep, unit), "metrics.jsonl");
        var before = File.ReadAllText(metrics);
        var statusBefore = File.ReadAllText(Path.Combine(unitFolder, UnitStatus.FileName));

        var watch = Stopwatch.StartNew();
        using var second = ChildRun.Start(new[] { "unit", sweep, "0" });
        var (code, output, error) = second.Wait();
        watch.Stop();
        Assert.True(code == 1, $"the second process exited {code}:\n{output}\n{error}");
        Assert.Contains($"error: unit 0 ({unit.Name}) is already running (process {first.Id} on {Environment.MachineName} since ", error);
        Assert.Contains("wait for it, or stop it first", error);
        // At once: it did not wait for the holder, which is still paused.
        Assert.False(first.HasExited, "the first unit process ended before the second one was refused");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the second process took {watch.Elapsed.TotalSeconds:0.0} s to give up");
        Assert.DoesNotContain("sweep unit 0 of 1", output);
        // Nothing of the first one's was touched: its status (running, attempt 1, its pid) and its metrics.
        Assert.Equal(statusBefore, File.ReadAllText(Path.Combine(unitFolder, UnitStatus.FileName)));
        var status = UnitStatus.Load(unitFolder)!;
        Assert.Equal((UnitState.Running, 1, first.Id), (status.State, status.Attempt, status.Pid));
        Assert.Equal(before, File.ReadAllText(metrics));

        File.WriteAllText(go, "");
        var (firstCode, firstOutput, firstError) = first.Wait();
        Assert.True(firstCode == 0, firstOutput + firstError);
        var done = UnitStatus.Load(unitFolder)!;
        Assert.Equal((UnitState.Done, 1), (done.State, done.Attempt));
    }
}
