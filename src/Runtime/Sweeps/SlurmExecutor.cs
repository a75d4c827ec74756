using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Sweeps;

/// <summary>
/// What a cluster needs in the sbatch script. From a config file (<see cref="Load"/>) and the command
/// line, the command line winning; lists (extra #SBATCH lines, setup lines) add up.
/// </summary>
public sealed record SlurmSettings
{
    public string? Partition { get; init; }
    public string? Gres { get; init; }
    public string? Time { get; init; }
    public int? MaxParallel { get; init; }
    public string? Account { get; init; }
    public string? Qos { get; init; }
    /// <summary>CPU threads of each task, also its --cpus-per-task.</summary>
    public int? Threads { get; init; }
    /// <summary>Extra sbatch options, one per #SBATCH line (<c>--mem=16G</c>).</summary>
    public IReadOnlyList<string> Sbatch { get; init; } = Array.Empty<string>();
    /// <summary>Shell lines run before the unit (<c>module load cuda/12.4</c>, <c>export X=y</c>).</summary>
    public IReadOnlyList<string> Setup { get; init; } = Array.Empty<string>();

    /// <summary>This record's values over <paramref name="defaults"/>'s.</summary>
    public SlurmSettings Over(SlurmSettings defaults) => new()
    {
        Partition = Partition ?? defaults.Partition,
        Gres = Gres ?? defaults.Gres,
        Time = Time ?? defaults.Time,
        MaxParallel = MaxParallel ?? defaults.MaxParallel,
        Account = Account ?? defaults.Account,
        Qos = Qos ?? defaults.Qos,
        Threads = Threads ?? defaults.Threads,
        Sbatch = defaults.Sbatch.Concat(Sbatch).ToList(),
        Setup = defaults.Setup.Concat(Setup).ToList(),
    };

    /// <summary>
    /// Reads a config file of <c>key = value</c> lines (<c>#</c> starts a comment): partition, gres, time,
    /// max_parallel, account, qos, threads, and the repeatable sbatch and setup.
    /// </summary>
    public static SlurmSettings Load(string path)
    {
        var settings = new SlurmSettings();
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int eq = line.IndexOf('=');
            if (eq <= 0) throw new InvalidDataException($"{path}({i + 1}): expected `key = value`, found `{line}`");
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            int Int()
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                    throw new InvalidDataException($"{path}({i + 1}): `{key}` expects a positive integer, found `{value}`");
                return n;
            }
            settings = key switch
            {
                "partition" => settings with { Partition = value },
                "gres" => settings with { Gres = value },
                "time" => settings with { Time = value },
                "max_parallel" => settings with { MaxParallel = Int() },
                "account" => settings with { Account = value },
                "qos" => settings with { Qos = value },
                "threads" => settings with { Threads = Int() },
                "sbatch" => settings with { Sbatch = settings.Sbatch.Append(value).ToList() },
                "setup" => settings with { Setup = settings.Setup.Append(value).ToList() },
                _ => throw new InvalidDataException($"{path}({i + 1}): unknown key `{key}`; the keys are partition, gres, time, max_parallel, account, qos, threads, sbatch, setup"),
            };
        }
        return settings;
    }
}

/// <summary>
/// Hands a sweep to Slurm as one array job: task i runs unit i (it reads SLURM_ARRAY_TASK_ID), at most
/// max_parallel at a time; tasks are requeued on preemption and resume from their checkpoints.
/// </summary>
public static class SlurmExecutor
{
    public const string ScriptFileName = "sweep.sbatch";
    public const string JobsFileName = "jobs.txt";
    public const string LogsFolderName = "logs";

    /// <summary>Writes the sbatch script for the units not yet done, submits it, and returns the job id (null when nothing is left to run).</summary>
    public static string? Submit(SweepPlan plan, string sweepFolder, SlurmSettings settings, TextWriter output)
    {
        var sweep = Path.GetFullPath(sweepFolder);
        var todo = plan.Units.Where(u => UnitStatus.Read(plan.UnitFolder(sweep, u)).State != UnitState.Done).Select(u => u.Index).ToList();
        if (todo.Count == 0)
        {
            output.WriteLine($"every unit of the sweep in {sweep} is done; nothing to submit (`collect {sweep}` writes the table)");
            return null;
        }
        Directory.CreateDirectory(Path.Combine(sweep, LogsFolderName));
        var script = Path.Combine(sweep, ScriptFileName);
        File.WriteAllText(script, Script(plan, sweep, todo, settings));
        var job = Sbatch(script);
        File.AppendAllText(Path.Combine(sweep, JobsFileName), $"{job} {DateTime.Now:yyyy-MM-dd HH:mm:ss} units {ArraySpec(todo)}\n");
        output.WriteLine($"submitted {todo.Count} unit(s) of sweep `{plan.Recipe}` as Slurm array job {job} ({script}); follow it with `status {sweep}`");
        return job;
    }

    /// <summary>The sbatch script: one array task per unit index in <paramref name="units"/>.</summary>
    public static string Script(SweepPlan plan, string sweepFolder, IReadOnlyList<int> units, SlurmSettings settings)
    {
        var sweep = Path.GetFullPath(sweepFolder);
        int threads = settings.Threads ?? 1;
        var text = new StringBuilder()
            .Append("#!/bin/bash\n")
            .Append("# Written by MiDistill `submit --slurm`: array task i runs unit i of ").Append(SweepPlan.PathIn(sweep)).Append(".\n")
            .Append("#SBATCH --job-name=").Append(Quote("midistill-" + plan.Recipe)).Append('\n')
            .Append("#SBATCH --array=").Append(ArraySpec(units)).Append(settings.MaxParallel is int k ? "%" + k.ToString(CultureInfo.InvariantCulture) : "").Append('\n')
            .Append("#SBATCH --output=").Append(Path.Combine(sweep, LogsFolderName, "%A_%a.out")).Append('\n')
            .Append("#SBATCH --open-mode=append\n")
            .Append("#SBATCH --cpus-per-task=").Append(threads.ToString(CultureInfo.InvariantCulture)).Append('\n')
            // A preempted or failed node's task goes back into the queue; it resumes from its checkpoints.
            .Append("#SBATCH --requeue\n");
        void Option(string name, string? value)
        {
            if (value is not null) text.Append("#SBATCH --").Append(name).Append('=').Append(value).Append('\n');
        }
        Option("partition", settings.Partition);
        Option("gres", settings.Gres);
        Option("time", settings.Time);
        Option("account", settings.Account);
        Option("qos", settings.Qos);
        foreach (var extra in settings.Sbatch) text.Append("#SBATCH ").Append(extra).Append('\n');
        text.Append("set -euo pipefail\n");
        foreach (var line in settings.Setup) text.Append(line).Append('\n');
        text.Append("exec ").Append(string.Join(" ", plan.Executable.Select(Quote)))
            .Append(" unit ").Append(Quote(sweep)).Append(" \"$SLURM_ARRAY_TASK_ID\"")
            .Append(string.Concat(RunOverrides.SetByExecutor(new RunRequest { Threads = threads }).Select(a => " " + Quote(a)))).Append('\n');
        return text.ToString();
    }

    /// <summary>Array indices as sbatch writes them: runs of consecutive indices as ranges, <c>0-3,5,7-8</c>.</summary>
    public static string ArraySpec(IReadOnlyList<int> units)
    {
        var parts = new List<string>();
        for (int i = 0; i < units.Count;)
        {
            int j = i;
            while (j + 1 < units.Count && units[j + 1] == units[j] + 1) j++;
            parts.Add(i == j ? units[i].ToString(CultureInfo.InvariantCulture) : $"{units[i].ToString(CultureInfo.InvariantCulture)}-{units[j].ToString(CultureInfo.InvariantCulture)}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }

    private static string Sbatch(string script)
    {
        var start = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--parsable");
        start.ArgumentList.Add(script);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run `sbatch` ({e.Message}); `submit --slurm` needs Slurm's client commands on PATH (run it on a login node), or leave out --slurm to run the units here", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"sbatch rejected {script} (exit {process.ExitCode}): {stderr.Trim()}");
            // --parsable prints "jobid" or "jobid;cluster".
            return stdout.Result.Trim().Split(';')[0];
        }
    }

    // Single quotes for the shell: nothing inside is expanded.
    private static string Quote(string text) =>
        text.All(c => char.IsLetterOrDigit(c) || "/._-+=:,@%".Contains(c)) ? text : "'" + text.Replace("'", "'\\''") + "'";
}
