using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Sweeps;

/// <summary>
/// The sweep commands of the experiment executable (`plan`, `submit`, `unit`, `status`, `collect`).
/// Their run options come from the run override table (<see cref="RunOverrides"/>), which also says
/// what a sweep does with each: picks units, places the sweep, has the executor set it per unit, or
/// forwards it to every unit through plan.json.
/// </summary>
internal static class SweepCommands
{
    internal static IEnumerable<Command> Commands(IReadOnlyList<IRecipe> recipes) =>
        new[] { Plan(recipes), Submit(recipes), Unit(recipes), Status(), Collect() };

    private static Command Plan(IReadOnlyList<IRecipe> recipes)
    {
        var recipe = HostCommandLine.RecipeArgument(recipes);
        var command = new Command("plan", "write the sweep's units (variant x seed) to <sweep>/plan.json and list them") { recipe };
        var sweep = SweepOption(command);
        // Threads belong to a submission (how the executor shares the machine), not to the plan.
        var overrides = new OverrideOptions(command, RunOverrides.All.Where(o => o.Sweep != SweepUse.SetByExecutor), o => o.SweepDescription);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var (plan, folder) = MakePlan(parse.GetValue(recipe)!, parse.GetValue(sweep), overrides.Apply(parse, new RunRequest()));
            output.WriteLine($"sweep `{plan.Recipe}`: {plan.Units.Count} units in {folder}");
            foreach (var unit in plan.Units) output.WriteLine($"  {unit.Index,4}  {unit.Variant}  seed {unit.Seed}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Submit(IReadOnlyList<IRecipe> recipes)
    {
        var recipe = HostCommandLine.RecipeArgument(recipes);
        var command = new Command("submit", "plan, then run the unfinished units here, --jobs at a time, and collect; or with --slurm submit them as one Slurm array job") { recipe };
        var sweep = SweepOption(command);
        var overrides = new OverrideOptions(command, RunOverrides.All, o => o.SweepDescription);
        var jobs = HostCommandLine.Integer("--jobs", "n", "units running at once here (default 1)", min: 1);
        var gpus = new Option<string>("--gpus")
        {
            Description = "GPUs to spread the local units over, one per running unit (sets CUDA_VISIBLE_DEVICES per unit; default: this process's CUDA_VISIBLE_DEVICES, if set)",
            HelpName = "0,1,...",
        };
        var slurm = new Option<bool>("--slurm") { Description = "submit the units as one Slurm array job instead of running them here", Arity = ArgumentArity.Zero };
        var config = new Option<string>("--slurm-config") { Description = "cluster settings (key = value lines; default <recipe file name>.slurm beside the recipe, when present)", HelpName = "file" };
        var partition = Text("--partition", "p", "#SBATCH --partition");
        var gres = Text("--gres", "gpu:1", "#SBATCH --gres, e.g. one GPU per task");
        var time = Text("--time", "04:00:00", "#SBATCH --time, each task's time limit");
        var maxParallel = HostCommandLine.Integer("--max-parallel", "k", "array tasks running at once (--array=...%k)", min: 1);
        var account = Text("--account", "a", "#SBATCH --account");
        var qos = Text("--qos", "q", "#SBATCH --qos");
        var sbatch = Lines("--sbatch", "\"--mem=16G\"", "an extra #SBATCH line (repeatable)");
        var setup = Lines("--setup", "\"module load cuda\"", "a shell line run before the unit (repeatable)");
        var slurmOnly = new Option[] { partition, gres, time, maxParallel, account, qos, sbatch, setup, config };
        foreach (var option in new Option[] { jobs, gpus, slurm }.Concat(slurmOnly)) command.Options.Add(option);
        command.Validators.Add(result =>
        {
            bool onSlurm = result.GetValue(slurm);
            if (!onSlurm && slurmOnly.Any(o => result.GetResult(o) is not null))
                result.AddError($"Slurm options ({string.Join(", ", slurmOnly.Select(o => o.Name))}) need --slurm");
            if (onSlurm && result.GetValue(jobs) is int j && j != 1)
                result.AddError("--jobs is for the local executor; with --slurm, --max-parallel bounds the tasks running at once");
            if (onSlurm && result.GetResult(gpus) is not null)
                result.AddError("--gpus is for the local executor; with --slurm, --gres asks Slurm for each task's GPUs");
            if (result.GetValue(gpus) is { } list && LocalExecutor.VisibleGpus(list).Count == 0)
                result.AddError("--gpus expects a comma-separated list of GPU ids, e.g. --gpus 0,1");
        });
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var chosen = parse.GetValue(recipe)!;
            var request = overrides.Apply(parse, new RunRequest());
            var (plan, folder) = MakePlan(chosen, parse.GetValue(sweep), request);
            if (parse.GetValue(slurm))
            {
                var settings = new SlurmSettings
                {
                    Partition = parse.GetValue(partition),
                    Gres = parse.GetValue(gres),
                    Time = parse.GetValue(time),
                    MaxParallel = parse.GetValue(maxParallel),
                    Account = parse.GetValue(account),
                    Qos = parse.GetValue(qos),
                    // --threads is given beside the Slurm options; like them, it wins over the config file.
                    Threads = request.Threads,
                    Sbatch = parse.GetValue(sbatch) ?? Array.Empty<string>(),
                    Setup = parse.GetValue(setup) ?? Array.Empty<string>(),
                };
                var file = parse.GetValue(config) ?? DefaultConfig(chosen);
                if (file is not null) settings = settings.Over(SlurmSettings.Load(file));
                SlurmExecutor.Submit(plan, folder, settings, output);
                return ExitCodes.Ok;
            }
            bool complete = LocalExecutor.Run(plan, folder, parse.GetValue(jobs) ?? 1, request.Threads ?? 0, output, LocalExecutor.VisibleGpus(parse.GetValue(gpus)));
            var (_, missing) = SweepReport.Collect(folder, output);
            return complete && missing.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static Command Unit(IReadOnlyList<IRecipe> recipes)
    {
        var folder = SweepFolderArgument();
        var index = new Argument<string?>("index")
        {
            Description = $"the unit to run (default: {UnitRunner.SlurmArrayTaskId}, which Slurm sets for an array task)",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = result => HostCommandLine.TakeUntilOption(result).FirstOrDefault(),
        };
        var command = new Command("unit", "run (or resume) one unit of a sweep; the executors start this, one process per unit") { folder, index };
        // A unit is a run or a resume of one variant and seed: it takes what `resume` takes, except what picks units.
        var overrides = new OverrideOptions(command, RunOverrides.Resumable.Where(o => o.Sweep != SweepUse.SelectsUnits));
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var request = overrides.Apply(parse, new RunRequest { Output = output });
            UnitRunner.Run(recipes, parse.GetValue(folder)!, UnitRunner.IndexFrom(parse.GetValue(index)), request);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status()
    {
        var folder = SweepFolderArgument();
        var command = new Command("status", "per unit: pending, running, interrupted, done, failed (with its last error line); exit 1 when a unit failed") { folder };
        command.SetAction(parse =>
        {
            var counts = SweepReport.Status(parse.GetValue(folder)!, parse.InvocationConfiguration.Output);
            return counts[UnitState.Failed] > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static Command Collect()
    {
        var folder = SweepFolderArgument();
        var command = new Command("collect", "merge the finished units into results.md/.csv with paired statistics; exit 1 while units are missing") { folder };
        command.SetAction(parse =>
        {
            var (collected, missing) = SweepReport.Collect(parse.GetValue(folder)!, parse.InvocationConfiguration.Output);
            return collected > 0 && missing.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static Argument<string> SweepFolderArgument() =>
        new("sweep-dir") { Description = "a sweep folder (the folder `plan` or `submit` printed)" };

    private static Option<string> SweepOption(Command command)
    {
        var option = new Option<string>("--sweep") { Description = "the sweep folder (default <run.output>/<recipe>/sweep-<timestamp>); on a cluster, one every node sees", HelpName = "dir" };
        command.Options.Add(option);
        return option;
    }

    private static Option<string> Text(string name, string valueName, string description) =>
        new(name) { Description = description, HelpName = valueName };

    private static Option<string[]> Lines(string name, string valueName, string description) =>
        new(name) { Description = description, HelpName = valueName, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };

    private static (SweepPlan Plan, string Folder) MakePlan(IRecipe recipe, string? sweep, RunRequest request)
    {
        var first = recipe.Variants[0];
        var outputRoot = request.OutputDirectory ?? first.Run.OutputDirectory;
        var folder = Path.GetFullPath(sweep ?? Path.Combine(outputRoot, recipe.Name, "sweep-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        // Every unit shares one teacher cache, at the same absolute path wherever and by whom it is started.
        var forwarded = request with { CacheDirectory = Path.GetFullPath(request.CacheDirectory ?? first.Run.CacheDirectory) };
        var plan = SweepPlan.For(recipe, forwarded, SweepPlan.CurrentExecutable());
        plan.Save(folder);
        // An existing plan of the same sweep stands: its units keep their folders.
        return (SweepPlan.Load(folder), folder);
    }

    /// <summary>A cluster's settings next to the recipe: <c>&lt;recipe file name&gt;.slurm</c> in the recipe's project folder, when present.</summary>
    private static string? DefaultConfig(IRecipe recipe)
    {
        if (string.IsNullOrEmpty(recipe.ProjectDirectory)) return null;
        var path = Path.Combine(recipe.ProjectDirectory, Path.ChangeExtension(recipe.SourceFileName, ".slurm"));
        return File.Exists(path) ? path : null;
    }
}
