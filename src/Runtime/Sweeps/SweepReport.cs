using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Sweeps;

/// <summary>`status` and `collect` of a sweep folder: they only read what the units wrote (atomically), so either is safe while units run.</summary>
public static class SweepReport
{
    public const string MissingFileName = "missing.txt";

    /// <summary>Prints one line per unit (pending, running, interrupted, done, failed with its last error line); returns the count per state.</summary>
    public static IReadOnlyDictionary<UnitState, int> Status(string sweepFolder, TextWriter output)
    {
        var plan = SweepPlan.Load(sweepFolder);
        var counts = Enum.GetValues<UnitState>().ToDictionary(s => s, _ => 0);
        int width = Math.Max(4, plan.Units.Max(u => u.Name.Length));
        output.WriteLine($"sweep `{plan.Recipe}` in {Path.GetFullPath(sweepFolder)}: {plan.Units.Count} units");
        foreach (var unit in plan.Units)
        {
            var (state, status) = UnitStatus.Read(plan.UnitFolder(sweepFolder, unit));
            counts[state]++;
            output.WriteLine($"  {unit.Name.PadRight(width)}  {Name(state),-11}  {Detail(state, status)}".TrimEnd());
        }
        output.WriteLine(string.Join(", ", Enum.GetValues<UnitState>().Select(s => $"{counts[s]} {Name(s)}")));
        return counts;
    }

    private static string Name(UnitState state) => state.ToString().ToLowerInvariant();

    private static string Detail(UnitState state, UnitStatus? status)
    {
        if (status is null) return "";
        var where = $"on {status.Host} (pid {status.Pid}{(status.SlurmJob is null ? "" : ", slurm job " + status.SlurmJob)}) since {status.Since.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}, attempt {status.Attempt}";
        return state switch
        {
            UnitState.Failed => $"{status.Error} (attempt {status.Attempt}{(status.SlurmJob is null ? "" : ", slurm job " + status.SlurmJob)}; log: {UnitStatus.LogFileName} or logs/)",
            UnitState.Interrupted => where + "; resumes from its checkpoint when run again",
            UnitState.Running => where,
            _ => $"attempt {status.Attempt}",
        };
    }

    /// <summary>
    /// Merges every finished unit into results.md / results.csv / results-paired.csv in the sweep folder,
    /// written by the same code as a single run's table (<see cref="ResultReport"/>), and lists the units
    /// still missing. Returns the units collected and the units missing.
    /// </summary>
    public static (int Collected, IReadOnlyList<SweepUnit> Missing) Collect(string sweepFolder, TextWriter output)
    {
        var plan = SweepPlan.Load(sweepFolder);
        // Two collects at once would interleave their writes; one waits for the other.
        using var collectLock = AcquireCollectLock(sweepFolder);
        var results = new List<VariantResult>();
        var missing = new List<(SweepUnit Unit, string Why)>();
        EvaluateOptions? evaluate = null;
        bool withoutValidation = false;
        foreach (var unit in plan.Units)
        {
            var (state, status) = UnitStatus.Read(plan.UnitFolder(sweepFolder, unit));
            var run = plan.RunFolder(sweepFolder, unit);
            if (state != UnitState.Done)
            {
                missing.Add((unit, state == UnitState.Failed ? $"failed: {status?.Error}" : Name(state)));
                continue;
            }
            var runState = RunState<VariantResult>.Load(Path.Combine(run, RunFolder.CheckpointsFolderName));
            if (!runState.Results.TryGetValue($"{unit.Variant}/seed{unit.Seed}", out var result))
            {
                missing.Add((unit, $"done, but {Path.Combine(run, RunFolder.CheckpointsFolderName, RunState<VariantResult>.FileName)} holds no result for it"));
                continue;
            }
            // The table's protocol line and reference come from the first variant, as in a single run.
            evaluate ??= SettingsJson.Deserialize<List<ExperimentOptions>>(File.ReadAllText(Path.Combine(run, RunFolder.SettingsFileName)))[0].Evaluate;
            withoutValidation |= runState.WithoutValidation;
            results.Add(result);
        }

        var missingFile = Path.Combine(sweepFolder, MissingFileName);
        if (missing.Count > 0)
            File.WriteAllText(missingFile, string.Concat(missing.Select(m => $"{m.Unit.Index} {m.Unit.Name} {m.Why}\n")));
        else
            File.Delete(missingFile);
        if (results.Count == 0)
        {
            output.WriteLine($"no unit of the sweep in {sweepFolder} has finished yet ({plan.Units.Count} units); nothing to collect");
            return (0, missing.Select(m => m.Unit).ToList());
        }
        // A table of fewer variants may have no paired part: never leave an earlier collect's behind.
        File.Delete(Path.Combine(sweepFolder, ResultReport.PairedCsvFileName));
        var text = ResultReport.Write(sweepFolder, plan.Recipe, evaluate!, results, withoutValidation);
        output.Write(text);
        output.WriteLine($"collected {results.Count} of {plan.Units.Count} units into {Path.Combine(Path.GetFullPath(sweepFolder), ResultsTable.MarkdownFileName)}");
        if (missing.Count > 0)
        {
            output.WriteLine($"missing {missing.Count} unit(s) (listed in {MissingFileName}; collect again when they finish):");
            foreach (var (unit, why) in missing) output.WriteLine($"  {unit.Name}  {why}");
        }
        return (results.Count, missing.Select(m => m.Unit).ToList());
    }

    private static FileLock AcquireCollectLock(string sweepFolder)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var acquired = FileLock.TryAcquire(Path.Combine(sweepFolder, "collect.lock"), Path.Combine(sweepFolder, "collect.owner"), out var holder);
            if (acquired is not null) return acquired;
            if (watch.Elapsed > TimeSpan.FromMinutes(1))
                throw new IOException($"{sweepFolder}: another collect ({holder}) has held the sweep for a minute; wait for it to end");
            System.Threading.Thread.Sleep(200);
        }
    }
}
