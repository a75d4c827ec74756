using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Sweeps;

/// <summary>
/// The sweep commands of the experiment executable (`plan`, `submit`, `unit`, `status`, `collect`),
/// parsed here so the host only dispatches to them. Bad arguments are <see cref="ArgumentException"/>s
/// whose message says what is wrong.
/// </summary>
public static class SweepCommands
{
    public const string Usage =
        "  midistill-recipes plan <recipe> [--sweep dir] [selection]   write the sweep's units (variant x seed) to dir/plan.json\n" +
        "  midistill-recipes submit <recipe> [--sweep dir] [--jobs n] [--threads n] [selection]\n" +
        "                                              plan, then run the unfinished units here, n at a time, and collect\n" +
        "  midistill-recipes submit <recipe> --slurm [--sweep dir] [--partition p] [--gres gpu:1] [--time 04:00:00]\n" +
        "                    [--max-parallel k] [--account a] [--qos q] [--threads n] [--sbatch \"--mem=16G\"]...\n" +
        "                    [--setup \"module load cuda\"]... [--slurm-config file]   submit the unfinished units as one array job\n" +
        "  midistill-recipes unit <sweep-dir> [index] [--threads n] [--device d]   run (or resume) one unit; index defaults to SLURM_ARRAY_TASK_ID\n" +
        "  midistill-recipes status <sweep-dir>        per unit: pending, running, interrupted, done, failed (with its last error line)\n" +
        "  midistill-recipes collect <sweep-dir>       merge finished units into results.md/.csv with paired statistics\n" +
        "  selection: --variant a,b  --seed s  --data dir  --cache dir  --output dir  --device cpu|cuda|auto\n";

    public static bool Handles(string command) => command is "plan" or "submit" or "unit" or "status" or "collect";

    /// <returns>The exit code: 0, or 1 when units failed or are missing.</returns>
    public static int Run(string[] args, IReadOnlyList<IRecipe> recipes, TextWriter output)
    {
        string Positional(int i, string what) =>
            i < args.Length && !args[i].StartsWith("--", StringComparison.Ordinal) ? args[i] : throw new ArgumentException($"`{args[0]}` needs {what}");
        switch (args[0])
        {
            case "plan":
            {
                var recipe = Find(recipes, Positional(1, "a recipe name"));
                var options = Parse(args.Skip(2).ToArray());
                var (plan, folder) = MakePlan(recipe, options);
                output.WriteLine($"sweep `{plan.Recipe}`: {plan.Units.Count} units in {folder}");
                foreach (var unit in plan.Units) output.WriteLine($"  {unit.Index,4}  {unit.Variant}  seed {unit.Seed}");
                return 0;
            }
            case "submit":
            {
                var recipe = Find(recipes, Positional(1, "a recipe name"));
                var options = Parse(args.Skip(2).ToArray());
                var (plan, folder) = MakePlan(recipe, options);
                if (options.Slurm)
                {
                    var settings = options.SlurmSettings;
                    var config = options.SlurmConfig ?? DefaultConfig(recipe);
                    if (config is not null) settings = settings.Over(SlurmSettings.Load(config));
                    // --threads is parsed beside the Slurm options; like them, it wins over the config file.
                    SlurmExecutor.Submit(plan, folder, settings with { Threads = options.Threads ?? settings.Threads }, output);
                    return 0;
                }
                bool complete = LocalExecutor.Run(plan, folder, options.Jobs, options.Threads ?? 0, output);
                var (_, missing) = SweepReport.Collect(folder, output);
                return complete && missing.Count == 0 ? 0 : 1;
            }
            case "unit":
            {
                var folder = Positional(1, "a sweep folder");
                int next = 2;
                string? index = next < args.Length && !args[next].StartsWith("--", StringComparison.Ordinal) ? args[next++] : null;
                var options = Parse(args.Skip(next).ToArray());
                UnitRunner.Run(recipes, folder, UnitRunner.IndexFrom(index), options.Threads, options.Device, output);
                return 0;
            }
            case "status":
            {
                var counts = SweepReport.Status(Positional(1, "a sweep folder"), output);
                return counts[UnitState.Failed] > 0 ? 1 : 0;
            }
            default: // collect
            {
                var (collected, missing) = SweepReport.Collect(Positional(1, "a sweep folder"), output);
                return collected > 0 && missing.Count == 0 ? 0 : 1;
            }
        }
    }

    private static (SweepPlan Plan, string Folder) MakePlan(IRecipe recipe, SweepOptions options)
    {
        var first = recipe.Variants[0];
        var outputRoot = options.Output ?? first.Run.OutputDirectory;
        var folder = Path.GetFullPath(options.Sweep ?? Path.Combine(outputRoot, recipe.Name, "sweep-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        var plan = SweepPlan.For(recipe, options.Variants, options.Seed, SweepPlan.CurrentExecutable(),
            options.Data is null ? null : Path.GetFullPath(options.Data),
            Path.GetFullPath(options.Cache ?? first.Run.CacheDirectory), options.Device);
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

    private static IRecipe Find(IReadOnlyList<IRecipe> recipes, string name) =>
        recipes.FirstOrDefault(r => r.Name == name)
        ?? throw new ArgumentException($"no recipe named `{name}`; this build has {(recipes.Count == 0 ? "none" : string.Join(", ", recipes.Select(r => "`" + r.Name + "`")))}");

    private sealed record SweepOptions
    {
        public string? Sweep { get; init; }
        public IReadOnlyList<string> Variants { get; init; } = Array.Empty<string>();
        public int? Seed { get; init; }
        public int? Threads { get; init; }
        public DeviceKind? Device { get; init; }
        public string? Data { get; init; }
        public string? Cache { get; init; }
        public string? Output { get; init; }
        public int Jobs { get; init; } = 1;
        public bool Slurm { get; init; }
        public string? SlurmConfig { get; init; }
        public SlurmSettings SlurmSettings { get; init; } = new();
    }

    private static SweepOptions Parse(string[] args)
    {
        var o = new SweepOptions();
        for (int i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"`{name}` needs a value");
            int Positive()
            {
                var text = Value();
                if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || (n < 1 && name != "--seed" && name != "--threads"))
                    throw new ArgumentException($"{name} expects a {(name is "--seed" or "--threads" ? "non-negative" : "positive")} integer, got `{text}`");
                return n;
            }
            var s = o.SlurmSettings;
            o = name switch
            {
                "--sweep" => o with { Sweep = Value() },
                "--variant" => o with { Variants = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--seed" => o with { Seed = Positive() },
                "--threads" => o with { Threads = Positive() },
                "--device" => o with
                {
                    Device = Value() switch
                    {
                        "cpu" => DeviceKind.Cpu,
                        "cuda" => DeviceKind.Cuda,
                        "auto" => DeviceKind.Auto,
                        var d => throw new ArgumentException($"--device expects cpu, cuda or auto, got `{d}`"),
                    },
                },
                "--data" => o with { Data = Value() },
                "--cache" => o with { Cache = Value() },
                "--output" => o with { Output = Value() },
                "--jobs" => o with { Jobs = Positive() },
                "--slurm" => o with { Slurm = true },
                "--slurm-config" => o with { SlurmConfig = Value() },
                "--partition" => o with { SlurmSettings = s with { Partition = Value() } },
                "--gres" => o with { SlurmSettings = s with { Gres = Value() } },
                "--time" => o with { SlurmSettings = s with { Time = Value() } },
                "--max-parallel" => o with { SlurmSettings = s with { MaxParallel = Positive() } },
                "--account" => o with { SlurmSettings = s with { Account = Value() } },
                "--qos" => o with { SlurmSettings = s with { Qos = Value() } },
                "--sbatch" => o with { SlurmSettings = s with { Sbatch = s.Sbatch.Append(Value()).ToList() } },
                "--setup" => o with { SlurmSettings = s with { Setup = s.Setup.Append(Value()).ToList() } },
                _ => throw new ArgumentException($"unknown option `{name}`; the sweep commands take:\n{Usage}"),
            };
        }
        bool slurmOnly = o.SlurmConfig is not null || o.SlurmSettings != new SlurmSettings();
        if (slurmOnly && !o.Slurm) throw new ArgumentException("Slurm options (--partition, --gres, --time, --max-parallel, --account, --qos, --sbatch, --setup, --slurm-config) need --slurm");
        if (o.Slurm && o.Jobs != 1) throw new ArgumentException("--jobs is for the local executor; with --slurm, --max-parallel bounds the tasks running at once");
        return o;
    }
}
