using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Sweeps;

/// <summary>
/// Runs one unit of a sweep in this process (the `unit` command every executor starts): a fresh run
/// into the unit's run folder, or, when that folder already holds one (a requeued, preempted or
/// killed unit), a resume from its checkpoints. Running a finished unit again only rewrites its table.
/// </summary>
public static class UnitRunner
{
    /// <summary>Where Slurm puts the array index of the task (the unit to run).</summary>
    public const string SlurmArrayTaskId = "SLURM_ARRAY_TASK_ID";

    /// <param name="request">The unit's own command line: overrides (threads, device, ...) that win over the plan's, and the output.</param>
    public static void Run(IReadOnlyList<IRecipe> recipes, string sweepFolder, int index, RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var output = request.Output;
        var plan = SweepPlan.Load(sweepFolder);
        if (index < 0 || index >= plan.Units.Count)
            throw new ArgumentException($"the sweep in {sweepFolder} has {plan.Units.Count} units (0-{plan.Units.Count - 1}); there is no unit {index}");
        var unit = plan.Units[index];
        var recipe = recipes.FirstOrDefault(r => r.Name == plan.Recipe)
            ?? throw new InvalidOperationException($"the sweep in {sweepFolder} runs recipe `{plan.Recipe}`, which this build does not contain");
        if (SweepPlan.Sha256(recipe.SourceText) != plan.RecipeSha256)
            throw new InvalidOperationException($"recipe `{plan.Recipe}` ({recipe.SourceFileName}) has changed since the sweep in {sweepFolder} was planned; run the units with the build they were planned with, or plan a new sweep into a new folder");

        var unitFolder = plan.UnitFolder(sweepFolder, unit);
        Directory.CreateDirectory(unitFolder);
        // One process per unit: a second one (a unit submitted twice) stops here without touching the first one's status.
        using var unitLock = FileLock.TryAcquire(Path.Combine(unitFolder, "unit.lock"), Path.Combine(unitFolder, "unit.owner"), out var holder)
            ?? throw new IOException($"unit {index} ({unit.Name}) is already running ({holder}); wait for it, or stop it first");

        var previous = UnitStatus.Load(unitFolder);
        var status = new UnitStatus
        {
            State = UnitState.Running,
            Attempt = (previous?.Attempt ?? 0) + 1,
            Host = Environment.MachineName,
            Pid = Environment.ProcessId,
            Since = DateTime.Now,
            SlurmJob = SlurmJob(),
        };
        status.Save(unitFolder);
        // Preemption and `scancel` send SIGTERM first: the unit then says it was interrupted (its
        // checkpoints are what it resumes from) instead of claiming to run on.
        using var terminated = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => (status with { State = UnitState.Interrupted }).Save(unitFolder));
        output.WriteLine($"sweep unit {index} of {plan.Units.Count}: variant `{unit.Variant}`, seed {unit.Seed} (attempt {status.Attempt})");
        try
        {
            var runFolder = plan.RunFolder(sweepFolder, unit);
            var unitRequest = RunOverrides.Fill(request, plan.Overrides, SweepPlan.PathIn(sweepFolder)) with { Seed = unit.Seed };
            if (File.Exists(Path.Combine(runFolder, RunFolder.SettingsFileName)))
                recipe.Resume(runFolder, unitRequest);
            else
                recipe.Run(unitRequest with { Variants = new[] { unit.Variant }, RunFolder = runFolder });
            (status with { State = UnitState.Done }).Save(unitFolder);
        }
        catch (Exception e)
        {
            (status with { State = UnitState.Failed, Error = LastLine(e.Message) }).Save(unitFolder);
            throw;
        }
    }

    /// <summary>The unit index from the command line, else from Slurm's array task id.</summary>
    public static int IndexFrom(string? argument)
    {
        var text = argument ?? Environment.GetEnvironmentVariable(SlurmArrayTaskId);
        if (text is null)
            throw new ArgumentException($"`unit` needs a unit index (or {SlurmArrayTaskId}, which Slurm sets for an array task)");
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            throw new ArgumentException($"a unit index is a non-negative integer, got `{text}`");
        return index;
    }

    private static string? SlurmJob()
    {
        var array = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID");
        var task = Environment.GetEnvironmentVariable(SlurmArrayTaskId);
        return array is not null && task is not null ? $"{array}_{task}" : Environment.GetEnvironmentVariable("SLURM_JOB_ID");
    }

    internal static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}
