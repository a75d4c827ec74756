using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiDistill.Runtime.Sweeps;

namespace MiDistill.Runtime.Tests.Sweeps;

/// <summary>
/// The executors end to end on real processes and real data: the local executor against a plain
/// one-process run of the same recipe, and a real Slurm (scripts/slurm-up.sh) against the local executor.
/// </summary>
public class SweepExecutorTests : IClassFixture<SweepFixture>
{
    private readonly SweepFixture _sweep;

    public SweepExecutorTests(SweepFixture sweep) => _sweep = sweep;

    [Fact]
    public void Local_executor_gives_the_table_of_a_single_process_run()
    {
        // Four unit processes, two at a time, merged by collect: the same numbers as one process running
        // every variant and seed (the units share the seeds' data draws and the cached teacher).
        Assert.Equal(SweepFixture.TableWithoutTimes(_sweep.SingleRun), SweepFixture.TableWithoutTimes(_sweep.LocalSweep));
        Assert.Equal(File.ReadAllText(Path.Combine(_sweep.SingleRun, "results-paired.csv")), File.ReadAllText(Path.Combine(_sweep.LocalSweep, "results-paired.csv")));
        Assert.Equal(File.ReadLines(Path.Combine(_sweep.SingleRun, "results.md")).First(), File.ReadLines(Path.Combine(_sweep.LocalSweep, "results.md")).First());
        // The grid points are the recipe's variants, each over both seeds.
        var rows = File.ReadAllLines(Path.Combine(_sweep.LocalSweep, "results.csv")).Skip(1).Select(l => l.Split(',')[0]).ToArray();
        Assert.Equal(new[] { "rho0p05", "rho0p2" }, rows);

        var plan = SweepPlan.Load(_sweep.LocalSweep);
        Assert.Equal(new[] { "rho0p05/7", "rho0p05/8", "rho0p2/7", "rho0p2/8" }, plan.Units.Select(u => $"{u.Variant}/{u.Seed}").ToArray());
        foreach (var unit in plan.Units)
        {
            var folder = plan.UnitFolder(_sweep.LocalSweep, unit);
            Assert.Equal(UnitState.Done, UnitStatus.Read(folder).State);
            Assert.Contains($"variant `{unit.Variant}`, seed {unit.Seed}", File.ReadAllText(Path.Combine(folder, UnitStatus.LogFileName)));
            Assert.True(File.Exists(Path.Combine(plan.RunFolder(_sweep.LocalSweep, unit), "checkpoints", $"{unit.Variant}-seed{unit.Seed}-student.safetensors")));
        }
        Assert.Contains("2 at a time, 1 thread(s) each, GPUs 3,5 (one per running unit)", _sweep.LocalOutput);

        // --gpus 3,5: the first two units start together on slots 0 and 1; every unit saw one GPU of the list.
        string Gpu(SweepUnit unit) => MiDistill.Runtime.RunFolders.RunEnvironment.Read(plan.RunFolder(_sweep.LocalSweep, unit))!.CudaVisibleDevices!;
        Assert.Equal(new[] { "3", "5" }, plan.Units.Take(2).Select(Gpu).ToArray());
        Assert.All(plan.Units, unit => Assert.Contains(Gpu(unit), new[] { "3", "5" }));
    }

    [Fact]
    public void Status_and_collect_read_a_finished_sweep_and_collecting_again_changes_nothing()
    {
        var before = Directory.GetFiles(_sweep.LocalSweep, "results*").OrderBy(f => f).Select(File.ReadAllText).ToList();
        var collect = Executable.Run("collect", _sweep.LocalSweep);
        Assert.Equal(0, collect.Code);
        Assert.Contains("collected 4 of 4 units", collect.Output);
        Assert.Equal(before, Directory.GetFiles(_sweep.LocalSweep, "results*").OrderBy(f => f).Select(File.ReadAllText).ToList());

        var status = Executable.Run("status", _sweep.LocalSweep);
        Assert.Equal(0, status.Code);
        Assert.Matches(@"0000-rho0p05-seed7\s+done\s+attempt 1", status.Output);
        Assert.EndsWith("0 pending, 0 running, 0 interrupted, 4 done, 0 failed", status.Output.TrimEnd());

        // Submitting a finished sweep again runs nothing and gives the same table.
        var again = Executable.Run("submit", SweepFixture.Recipe, "--sweep", _sweep.LocalSweep, "--cache", _sweep.Cache);
        Assert.Equal(0, again.Code);
        Assert.Contains("0 of 4 units to run (4 done or running)", again.Output);
        Assert.Equal(before, Directory.GetFiles(_sweep.LocalSweep, "results*").OrderBy(f => f).Select(File.ReadAllText).ToList());
    }

    [Fact]
    public void A_failed_unit_shows_its_last_error_line_and_collect_names_what_is_missing()
    {
        var sweep = Path.Combine(_sweep.Root, "broken");
        var missingData = Path.Combine(_sweep.Root, "no-such-data");
        Assert.Equal(0, Executable.Run("plan", SweepFixture.Recipe, "--sweep", sweep, "--data", missingData, "--cache", _sweep.Cache).Code);
        var unit = Executable.Run("unit", sweep, "1", "--threads", "1");
        Assert.Equal(1, unit.Code);

        var status = Executable.Run("status", sweep);
        Assert.Equal(1, status.Code);
        var failed = status.Output.Split('\n').Single(l => l.Contains("0001-rho0p05-seed8"));
        Assert.Matches(@"0001-rho0p05-seed8\s+failed\s+.*no-such-data", failed);
        Assert.EndsWith("3 pending, 0 running, 0 interrupted, 0 done, 1 failed", status.Output.TrimEnd());

        var collect = Executable.Run("collect", sweep);
        Assert.Equal(1, collect.Code);
        Assert.Contains("no unit of the sweep", collect.Output);
        var missing = File.ReadAllLines(Path.Combine(sweep, SweepReport.MissingFileName));
        Assert.Equal(4, missing.Length);
        Assert.StartsWith("1 0001-rho0p05-seed8 failed: ", missing[1]);
        Assert.Equal("0 0000-rho0p05-seed7 pending", missing[0]);

        // The folder holds this sweep: planning another one into it is refused.
        var other = Executable.Run("plan", SweepFixture.Recipe, "--sweep", sweep, "--seed", "7");
        Assert.Equal(1, other.Code);
        Assert.Contains("already holds a different sweep (recipe `tiny_sweep`, 4 units)", other.Error);
    }

    [Fact]
    public void Slurm_array_job_runs_the_sweep_resumes_a_requeued_task_and_collects_the_local_table()
    {
        var watch = Stopwatch.StartNew();
        var daemons = Path.Combine(_sweep.Root, "slurm");
        var scripts = Path.Combine(Executable.RepoRoot(), "scripts");
        var up = Executable.Program("bash", null, TimeSpan.FromMinutes(1), Path.Combine(scripts, "slurm-up.sh"), daemons, FreePort().ToString(), FreePort().ToString());
        Assert.True(up.Code == 0, $"the one-node Slurm did not start (scripts/slurm-up.sh exited {up.Code}):\n{up.Output}");
        try
        {
            var slurm = new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(daemons, "slurm.conf") };
            string Slurm(string command, params string[] args)
            {
                var (code, output) = Executable.Program(command, slurm, TimeSpan.FromSeconds(30), args);
                Assert.True(code == 0, $"`{command} {string.Join(" ", args)}` failed ({code}): {output}");
                return output;
            }

            var sweep = Path.Combine(_sweep.Root, "slurm-sweep");
            var submit = Executable.RunWith(slurm, "submit", SweepFixture.Recipe, "--slurm", "--sweep", sweep, "--max-parallel", "2", "--threads", "1", "--cache", _sweep.Cache);
            Assert.True(submit.Code == 0, submit.Output + submit.Error);
            var job = Regex.Match(submit.Output, @"as Slurm array job (\d+) ").Groups[1].Value;
            Assert.NotEmpty(job);
            var script = File.ReadAllText(Path.Combine(sweep, SlurmExecutor.ScriptFileName));
            Assert.Contains("#SBATCH --array=0-3%2\n", script);

            // Preempt task 0 once it has trained an epoch (or even finished: a finished task can be
            // requeued too); it goes back to the queue and must resume in its own unit folder.
            var metrics = Path.Combine(sweep, "units", "0000-rho0p05-seed7", "run", "metrics.jsonl");
            Until(() => File.Exists(metrics) && File.ReadAllText(metrics).Contains("finetune"), TimeSpan.FromSeconds(90), "task 0 to train its first epoch", daemons, sweep);
            Slurm("scontrol", "requeue", $"{job}_0");
            // Slurm holds a requeued job for two minutes before it is eligible again; an operator's
            // `StartTime=now` lets it go at once.
            Until(() => Slurm("squeue", "-h", "-j", $"{job}_0", "-o", "%T").Trim() == "PENDING", TimeSpan.FromSeconds(30), "task 0 to be requeued", daemons, sweep);
            Slurm("scontrol", "update", $"JobId={job}_0", "StartTime=now");
            Until(() => Slurm("squeue", "-h", "-j", job).Trim().Length == 0, TimeSpan.FromMinutes(3) - watch.Elapsed, "the array job to finish", daemons, sweep);

            var collect = Executable.Run("collect", sweep);
            Assert.True(collect.Code == 0, collect.Output + collect.Error);
            Assert.Equal(SweepFixture.TableWithoutTimes(_sweep.LocalSweep), SweepFixture.TableWithoutTimes(sweep));
            Assert.Equal(File.ReadAllText(Path.Combine(_sweep.LocalSweep, "results-paired.csv")), File.ReadAllText(Path.Combine(sweep, "results-paired.csv")));

            // Every task ran through sbatch (its own log, its array id recorded); task 0 ran twice and resumed.
            var plan = SweepPlan.Load(sweep);
            foreach (var unit in plan.Units)
            {
                Assert.True(File.Exists(Path.Combine(sweep, "logs", $"{job}_{unit.Index}.out")), $"no Slurm log for task {unit.Index}");
                var status = UnitStatus.Load(plan.UnitFolder(sweep, unit))!;
                Assert.Equal(UnitState.Done, status.State);
                Assert.Equal($"{job}_{unit.Index}", status.SlurmJob);
                Assert.Equal(unit.Index == 0 ? 2 : 1, status.Attempt);
            }
            Assert.Contains("resuming " + plan.RunFolder(sweep, plan.Units[0]), File.ReadAllText(Path.Combine(sweep, "logs", $"{job}_0.out")));
        }
        finally
        {
            Executable.Program("bash", null, TimeSpan.FromSeconds(30), Path.Combine(scripts, "slurm-down.sh"), daemons);
        }
    }

    private static void Until(Func<bool> condition, TimeSpan timeout, string what, string daemons, string sweep)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                var logs = string.Join("\n", new[] { "slurmctld.log", "slurmd.log" }.Select(f => Path.Combine(daemons, f)).Where(File.Exists)
                    .Select(f => $"---- {f}\n{string.Join("\n", File.ReadAllLines(f).TakeLast(30))}"));
                var units = Directory.Exists(Path.Combine(sweep, "logs"))
                    ? string.Join("\n", Directory.GetFiles(Path.Combine(sweep, "logs")).Select(f => $"---- {f}\n{File.ReadAllText(f)}"))
                    : "(no task logs)";
                Assert.Fail($"timed out after {timeout.TotalSeconds:0} s waiting for {what}\n{Executable.Run("status", sweep).Output}\n{logs}\n{units}");
            }
            System.Threading.Thread.Sleep(100);
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
