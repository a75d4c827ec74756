using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Sweeps;

/// <summary>
/// Runs a sweep's unfinished units on this machine, each as its own process of the experiment
/// executable (`unit &lt;sweep&gt; &lt;i&gt;`), <c>jobs</c> at a time with the threads split between them.
/// The units are the same processes a Slurm array runs, so both executors give the same table.
/// </summary>
public static class LocalExecutor
{
    /// <returns>True when every unit of the plan is done.</returns>
    /// <param name="gpus">
    /// The GPUs to spread the units over (CUDA device ids, as <c>CUDA_VISIBLE_DEVICES</c> lists them):
    /// running job slot k sees only <c>gpus[k % count]</c>, so <c>--device cuda</c> (GPU 0 of what a
    /// process sees) is a different card per slot. Null or empty: the executor's own
    /// <c>CUDA_VISIBLE_DEVICES</c> list when set, else the units see every GPU and all use GPU 0.
    /// </param>
    public static bool Run(SweepPlan plan, string sweepFolder, int jobs, int threads, TextWriter output, IReadOnlyList<string>? gpus = null)
    {
        if (jobs < 1) throw new ArgumentException($"--jobs expects at least 1, got {jobs}");
        int total = threads > 0 ? threads : Environment.ProcessorCount;
        int perUnit = Math.Max(1, total / jobs);
        gpus = gpus is { Count: > 0 } ? gpus : VisibleGpus(Environment.GetEnvironmentVariable(CudaVisibleDevices));
        var todo = plan.Units.Where(u => UnitStatus.Read(plan.UnitFolder(sweepFolder, u)).State is not (UnitState.Done or UnitState.Running)).ToList();
        int skipped = plan.Units.Count - todo.Count;
        output.WriteLine($"sweep `{plan.Recipe}`: {todo.Count} of {plan.Units.Count} units to run ({skipped} done or running), {jobs} at a time, {perUnit} thread(s) each"
            + (gpus.Count > 0 ? $", GPUs {string.Join(",", gpus)} (one per running unit)" : "")
            + $"; logs in {Path.Combine(sweepFolder, SweepPlan.UnitsFolderName)}/*/{UnitStatus.LogFileName}");

        var running = new List<(SweepUnit Unit, Process Process, StreamWriter Log, Stopwatch Watch, int Slot)>();
        int next = 0, finished = 0;
        while (next < todo.Count || running.Count > 0)
        {
            while (running.Count < jobs && next < todo.Count)
            {
                var unit = todo[next++];
                // The lowest slot no running unit holds: a unit that ends frees its GPU for the next.
                int slot = Enumerable.Range(0, jobs).First(k => running.All(j => j.Slot != k));
                var (_, process, log, watch) = Start(plan, sweepFolder, unit, perUnit, gpus.Count > 0 ? gpus[slot % gpus.Count] : null);
                running.Add((unit, process, log, watch, slot));
            }
            System.Threading.Thread.Sleep(100);
            foreach (var job in running.Where(j => j.Process.HasExited).ToList())
            {
                job.Process.WaitForExit(); // drains the output readers into the log
                lock (job.Log) job.Log.Dispose();
                running.Remove(job);
                finished++;
                var (state, status) = UnitStatus.Read(plan.UnitFolder(sweepFolder, job.Unit));
                var seconds = job.Watch.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
                var how = state == UnitState.Done ? "done"
                    : status?.Error is { } error ? $"failed (exit {job.Process.ExitCode}): {error}"
                    : $"failed (exit {job.Process.ExitCode}); see its {UnitStatus.LogFileName}";
                output.WriteLine($"[{finished}/{todo.Count}] {job.Unit.Name} {how} ({seconds} s)");
                job.Process.Dispose();
            }
        }
        return plan.Units.All(u => UnitStatus.Read(plan.UnitFolder(sweepFolder, u)).State == UnitState.Done);
    }

    /// <summary>The variable CUDA reads to choose which GPUs a process sees (and numbers from 0).</summary>
    public const string CudaVisibleDevices = "CUDA_VISIBLE_DEVICES";

    /// <summary>The device ids of a <c>CUDA_VISIBLE_DEVICES</c>-style list (<c>0,1</c>, <c>GPU-uuid,...</c>); empty for none.</summary>
    internal static IReadOnlyList<string> VisibleGpus(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static (SweepUnit, Process, StreamWriter, Stopwatch) Start(SweepPlan plan, string sweepFolder, SweepUnit unit, int threads, string? gpu)
    {
        var unitFolder = plan.UnitFolder(sweepFolder, unit);
        Directory.CreateDirectory(unitFolder);
        var log = new StreamWriter(Path.Combine(unitFolder, UnitStatus.LogFileName), append: true) { AutoFlush = true };
        var start = new ProcessStartInfo(plan.Executable[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in plan.Executable.Skip(1).Concat(UnitArguments(sweepFolder, unit.Index.ToString(CultureInfo.InvariantCulture), threads)))
            start.ArgumentList.Add(a);
        // An array task's id must not leak into a local unit (the executor itself may run inside a Slurm job).
        start.Environment.Remove(UnitRunner.SlurmArrayTaskId);
        if (gpu is not null) start.Environment[CudaVisibleDevices] = gpu;
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (unit, process, log, Stopwatch.StartNew());
    }

    /// <summary>
    /// The arguments after the executable that run one unit: <c>unit &lt;sweep&gt; &lt;index&gt;</c> and the
    /// overrides the executor sets per unit (<c>--threads n</c>); the plan brings the rest.
    /// </summary>
    internal static IEnumerable<string> UnitArguments(string sweepFolder, string index, int threads) =>
        new[] { "unit", Path.GetFullPath(sweepFolder), index }.Concat(RunOverrides.SetByExecutor(new RunRequest { Threads = threads }));
}
