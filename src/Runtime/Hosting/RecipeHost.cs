using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Hosting;

/// <summary>The command line of an experiment executable: list, show and run the recipes it was built with.</summary>
public static class RecipeHost
{
    private const string Usage =
        "usage:\n" +
        "  midistill-recipes list                      recipes this build contains, with their variants\n" +
        "  midistill-recipes show <recipe>             every resolved setting of every variant (JSON)\n" +
        "  midistill-recipes show <recipe> --plan      the run's plan: units (variant x seed) and their steps\n" +
        "  midistill-recipes run <recipe> [options]    run a recipe end to end\n" +
        "  midistill-recipes resume <run-folder> [--threads n] [--workers n] [--device d] [--data dir] [--seed s]\n" +
        "                                              continue an interrupted run where it stopped\n" +
        ReportCommands.Usage +
        Sweeps.SweepCommands.Usage +
        "\n" +
        "run options:\n" +
        "  --variant <name>[,<name>...]   run only these variants\n" +
        "  --seed <s>                     run only the replicate of seed s (one of run.seed)\n" +
        "  --threads <n>                  CPU threads (overrides run.threads; 0 = all cores)\n" +
        "  --workers <n>                  data workers decoding batches ahead (overrides run.workers; 0 = the cores the threads leave)\n" +
        "  --device cpu|cuda|auto         overrides run.device\n" +
        "  --output <dir>                 root of run folders (overrides run.output)\n" +
        "  --cache <dir>                  pretrained-teacher cache (overrides run.cache)\n" +
        "  --data <dir>                   the data set's folder: IDX files or an image folder (overrides data.path)\n" +
        ConsoleChoices.Usage;

    public static int Main(string[] args, IReadOnlyList<IRecipe> recipes) => Main(args, recipes, Console.Out, Console.Error);

    public static int Main(string[] args, IReadOnlyList<IRecipe> recipes, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.Write(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            switch (args[0])
            {
                case "list":
                    foreach (var recipe in recipes)
                        output.WriteLine($"{recipe.Name,-24} {recipe.SourceFileName,-28} variants: {string.Join(", ", recipe.Variants.Select(v => v.Variant))}");
                    if (recipes.Count == 0) output.WriteLine("(no recipes: add a .distill file to the recipes project and rebuild)");
                    return 0;
                case "show":
                    var shown = Find(recipes, Argument(args, 1, "a recipe name"));
                    if (args.Skip(2).FirstOrDefault(a => a != "--plan") is { } extra)
                        throw new UsageException($"unknown option `{extra}` of `show`");
                    output.Write(args.Contains("--plan") ? shown.Plan().Describe(shown.Name) : SettingsJson.Serialize(shown.Variants) + Environment.NewLine);
                    return 0;
                case "run":
                    var chosen = Find(recipes, Argument(args, 1, "a recipe name"));
                    var (runArgs, verbosity) = ConsoleChoices.Extract(args.Skip(2).ToArray());
                    ConsoleChoices.Run(ParseRunOptions(runArgs, output), verbosity, chosen.Run);
                    return 0;
                case "resume":
                    var folder = Argument(args, 1, "a run folder");
                    var (resumeArgs, resumeVerbosity) = ConsoleChoices.Extract(args.Skip(2).ToArray());
                    var request = ParseRunOptions(resumeArgs, output);
                    if (request.Variants.Count > 0 || request.OutputDirectory is not null || request.CacheDirectory is not null)
                        throw new UsageException("`resume` continues a run with the settings it started with; only --threads, --device, --data and --seed may change");
                    var owner = Find(recipes, RecipeOfRunFolder(folder));
                    ConsoleChoices.Run(request, resumeVerbosity, r => owner.Resume(folder, r));
                    return 0;
                case "report":
                    return ReportCommands.Report(args.Skip(1).ToArray(), output);
                case "compare":
                    return ReportCommands.Compare(args.Skip(1).ToArray(), output);
                case var sweep when Sweeps.SweepCommands.Handles(sweep):
                    return Sweeps.SweepCommands.Run(args, recipes, output);
                default:
                    throw new UsageException($"unknown command `{args[0]}`");
            }
        }
        catch (UsageException e)
        {
            error.WriteLine("error: " + e.Message);
            error.Write(Usage);
            return 2;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException or Checkpoints.CheckpointException)
        {
            // Expected failures (missing dataset, corrupt file, bad variant, no CUDA) are messages, not stack traces.
            error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static IRecipe Find(IReadOnlyList<IRecipe> recipes, string name) =>
        recipes.FirstOrDefault(r => r.Name == name)
        ?? throw new UsageException($"no recipe named `{name}`; this build has {(recipes.Count == 0 ? "none" : string.Join(", ", recipes.Select(r => "`" + r.Name + "`")))}");

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

    private static string Argument(string[] args, int index, string what) =>
        index < args.Length ? args[index] : throw new UsageException($"`{args[0]}` needs {what}");

    private static RunRequest ParseRunOptions(string[] args, TextWriter output)
    {
        var request = new RunRequest { Output = output };
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"`{args[i]}` needs a value");
            switch (args[i])
            {
                case "--variant": request = request with { Variants = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) }; break;
                case "--threads":
                    var text = Value();
                    if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var threads))
                        throw new UsageException($"--threads expects a non-negative integer, got `{text}`");
                    request = request with { Threads = threads };
                    break;
                case "--workers":
                    var workersText = Value();
                    if (!int.TryParse(workersText, NumberStyles.None, CultureInfo.InvariantCulture, out var workers))
                        throw new UsageException($"--workers expects a non-negative integer, got `{workersText}`");
                    request = request with { Workers = workers };
                    break;
                case "--device":
                    var device = Value();
                    request = request with
                    {
                        Device = device switch
                        {
                            "cpu" => DeviceKind.Cpu,
                            "cuda" => DeviceKind.Cuda,
                            "auto" => DeviceKind.Auto,
                            _ => throw new UsageException($"--device expects cpu, cuda or auto, got `{device}`"),
                        },
                    };
                    break;
                case "--seed":
                    var seedText = Value();
                    if (!int.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
                        throw new UsageException($"--seed expects one of the recipe's seeds (a non-negative integer), got `{seedText}`");
                    request = request with { Seed = seed };
                    break;
                case "--output": request = request with { OutputDirectory = Value() }; break;
                case "--cache": request = request with { CacheDirectory = Value() }; break;
                // A path on the command line is relative to where the command runs.
                case "--data": request = request with { DataPath = System.IO.Path.GetFullPath(Value()) }; break;
                default: throw new UsageException($"unknown option `{args[i]}`");
            }
        }
        return request;
    }

    private sealed class UsageException(string message) : Exception(message);
}
