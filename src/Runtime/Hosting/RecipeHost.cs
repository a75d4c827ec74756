using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Hosting;

/// <summary>
/// The command line of an experiment executable: list, show, run and resume the recipes it was built
/// with, and the report and sweep commands. One parser (System.CommandLine) for every command; each
/// has <c>--help</c>; exit codes are <see cref="ExitCodes"/>.
/// </summary>
public static class RecipeHost
{
    public static int Main(string[] args, IReadOnlyList<IRecipe> recipes) => Main(args, recipes, Console.Out, Console.Error);

    public static int Main(string[] args, IReadOnlyList<IRecipe> recipes, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(recipes);
        var root = CommandLine(recipes);
        if (args.Length == 0)
        {
            HostCommandLine.WriteHelp(root, output);
            return ExitCodes.Usage;
        }

        var parse = root.Parse(HostCommandLine.Normalize(args), HostCommandLine.Parsing);
        if (HostCommandLine.IsWrong(parse))
            return HostCommandLine.ReportUsageErrors(parse, error);
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (UsageException e)
        {
            error.WriteLine("error: " + e.Message);
            HostCommandLine.WriteUsageHint(parse.CommandResult.Command, error);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException or Checkpoints.CheckpointException or Export.OnnxExportException)
        {
            // Expected failures (missing dataset, corrupt file, bad variant, no CUDA) are messages, not stack traces.
            error.WriteLine("error: " + e.Message);
            return ExitCodes.Failed;
        }
    }

    /// <summary>Every command of the experiment executable, for a build with <paramref name="recipes"/>.</summary>
    internal static RootCommand CommandLine(IReadOnlyList<IRecipe> recipes) =>
        HostCommandLine.Root(
            "The experiment executable: the recipes it was built with, their runs, reports and sweeps.",
            new[] { List(recipes), Show(recipes), Run(recipes), Resume(recipes) }
                .Concat(ReportCommands.Commands())
                .Concat(DeployCommands.Commands())
                .Concat(Sweeps.SweepCommands.Commands(recipes)));

    private static Command List(IReadOnlyList<IRecipe> recipes)
    {
        var command = new Command("list", "the recipes this build contains, with their variants");
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            foreach (var recipe in recipes)
                output.WriteLine($"{recipe.Name,-24} {recipe.SourceFileName,-28} variants: {string.Join(", ", recipe.Variants.Select(v => v.Variant))}");
            if (recipes.Count == 0) output.WriteLine("(no recipes: add a .distill file to the recipes project and rebuild)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(IReadOnlyList<IRecipe> recipes)
    {
        var recipe = HostCommandLine.RecipeArgument(recipes);
        var plan = new Option<bool>("--plan") { Description = "print the run's plan instead: its steps with what each needs and produces, and each unit's (variant x seed) steps" };
        var command = new Command("show", "every resolved setting of every variant of a recipe (JSON), or with --plan the run's plan") { recipe, plan };
        command.SetAction(parse =>
        {
            var shown = parse.GetValue(recipe)!;
            parse.InvocationConfiguration.Output.Write(parse.GetValue(plan)
                ? shown.Plan().Describe(shown.Name)
                : SettingsJson.Serialize(shown.Variants) + Environment.NewLine);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Run(IReadOnlyList<IRecipe> recipes)
    {
        var recipe = HostCommandLine.RecipeArgument(recipes);
        var command = new Command("run", "run a recipe end to end into a new run folder") { recipe };
        var overrides = new OverrideOptions(command, RunOverrides.All);
        var verbosity = new VerbosityOptions(command);
        command.SetAction(parse =>
        {
            var request = overrides.Apply(parse, new RunRequest { Output = parse.InvocationConfiguration.Output });
            ConsoleChoices.Run(request, verbosity.Read(parse), parse.GetValue(recipe)!.Run);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Resume(IReadOnlyList<IRecipe> recipes)
    {
        var folder = new Argument<string>("run-folder") { Description = "the folder of an earlier run (runs/<recipe>/<timestamp>-<variants>/)" };
        var command = new Command("resume", "continue an interrupted run where it stopped, with the settings it started with") { folder };
        var overrides = new OverrideOptions(command, RunOverrides.Resumable);
        var takes = string.Join(", ", RunOverrides.Resumable.Select(o => o.Name));
        OverrideOptions.Refuse(command, RunOverrides.All.Where(o => !o.Resume),
            o => $"`resume` continues a run with the settings it started with, so {o.Name} cannot change; `resume` takes {takes}");
        var verbosity = new VerbosityOptions(command);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(folder)!;
            var request = overrides.Apply(parse, new RunRequest { Output = parse.InvocationConfiguration.Output });
            var name = RecipeOfRunFolder(path);
            var owner = recipes.FirstOrDefault(r => r.Name == name) ?? throw new UsageException(HostCommandLine.NoRecipe(recipes, name));
            ConsoleChoices.Run(request, verbosity.Read(parse), r => owner.Resume(path, r));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string RecipeOfRunFolder(string folder)
    {
        if (File.Exists(folder))
            throw new UsageException($"`{folder}` is a file; `resume` takes a run folder (runs/<recipe>/<timestamp>-<variants>/)");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: no such folder; `resume` takes the folder of an earlier run (runs/<recipe>/<timestamp>-<variants>/)");
        var settings = Path.Combine(folder, RunFolder.SettingsFileName);
        if (!File.Exists(settings))
            throw new FileNotFoundException($"{folder}: not a MiDistill run folder ({RunFolder.SettingsFileName} is missing)");
        var variants = SettingsJson.Deserialize<List<ExperimentOptions>>(File.ReadAllText(settings));
        return variants?.FirstOrDefault()?.Recipe ?? throw new InvalidDataException($"{settings}: no variants recorded");
    }
}
