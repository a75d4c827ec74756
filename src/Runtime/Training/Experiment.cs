using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training.Plan;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>
/// Runs a compiled recipe: for each variant and seed, pretrain (or reuse) the teacher, fine-tune
/// it, distil the student, evaluate both on the held-out test split; then print and save the table.
/// Every stage is checkpointed in the run folder, so <see cref="Resume(IRecipe, string, RunRequest, ExperimentHooks)"/> continues a killed run.
/// </summary>
public static class Experiment
{
    /// <summary>
    /// Runs options built in C#, without a recipe: every element is one variant (names must differ),
    /// with the same stages, run folder, checkpoints and resume as a compiled recipe.
    /// </summary>
    public static ExperimentReport Run(IReadOnlyList<ExperimentOptions> variants, RunRequest? request = null, ExperimentHooks? hooks = null) =>
        Run(new CodeRecipe(variants), request ?? new RunRequest(), hooks ?? new ExperimentHooks());

    /// <summary>Runs one experiment built in C#.</summary>
    public static ExperimentReport Run(ExperimentOptions options, RunRequest? request = null, ExperimentHooks? hooks = null) =>
        Run(new[] { options ?? throw new ArgumentNullException(nameof(options)) }, request, hooks);

    /// <summary>Continues a run started from C# (or any run) with the settings its settings.json records.</summary>
    public static ExperimentReport Resume(string runFolder, RunRequest? request = null, ExperimentHooks? hooks = null)
    {
        var settings = Path.Combine(runFolder, RunFolder.SettingsFileName);
        if (!Directory.Exists(runFolder)) throw new DirectoryNotFoundException($"{runFolder}: no such run folder");
        if (!File.Exists(settings)) throw new FileNotFoundException($"{runFolder}: not a MiDistill run folder ({RunFolder.SettingsFileName} is missing)", settings);
        var saved = SettingsJson.Deserialize<List<ExperimentOptions>>(RunFolder.ReadSettings(runFolder, out _));
        return Resume(new CodeRecipe(saved), runFolder, request ?? new RunRequest(), hooks ?? new ExperimentHooks());
    }

    /// <summary>Options built in C# seen as a recipe; the run folder's recipe.distill says where they came from.</summary>
    private sealed class CodeRecipe : IRecipe
    {
        public CodeRecipe(IReadOnlyList<ExperimentOptions> variants)
        {
            ArgumentNullException.ThrowIfNull(variants);
            if (variants.Count == 0) throw new ArgumentException("give at least one experiment", nameof(variants));
            if (variants.Any(v => v.Recipe != variants[0].Recipe))
                throw new ArgumentException($"the variants of one run share one recipe name; got {string.Join(", ", variants.Select(v => "`" + v.Recipe + "`").Distinct())}", nameof(variants));
            var repeated = variants.GroupBy(v => v.Variant).FirstOrDefault(g => g.Count() > 1);
            if (repeated is not null)
                throw new ArgumentException($"variant `{repeated.Key}` is given {repeated.Count()} times; give each variant its own name", nameof(variants));
            Variants = variants;
        }

        public string Name => Variants[0].Recipe;
        public string SourceFileName => "(C#)";
        public string SourceText => $"# `{Name}` was built in C# (MiDistill.Runtime.Training.Experiment.Run); settings.json holds every value.\n";
        public IReadOnlyList<ExperimentOptions> Variants { get; }
        public ExperimentReport Run(RunRequest request) => Experiment.Run(this, request, new ExperimentHooks());
        public ExperimentReport Resume(string runFolder, RunRequest request) => Experiment.Resume(this, runFolder, request, new ExperimentHooks());
    }

    public static ExperimentReport Run(IRecipe recipe, RunRequest request, ExperimentHooks hooks)
    {
        var inputs = InputBase(recipe, request.Output);
        var variants = SelectVariants(recipe, request).Select(v => ResolveInputs(ApplyRequest(v, request), inputs)).ToList();
        var process = Plan.RunResources.Check(variants);
        var label = variants.Count == recipe.Variants.Count ? "all" : string.Join("+", variants.Select(v => v.Variant));
        CheckSeed(variants, request.Seed);
        if (request.Seed is int only) label += $"-seed{only}";
        // Setup errors fail before a run folder exists: a device the build cannot use, paths that are files.
        DeviceSelector.Resolve(process.Device);
        NotAFile(process.OutputDirectory, "the output folder (run.output, --output)");
        NotAFile(process.CacheDirectory, "the teacher cache (run.cache, --cache)");
        var folder = request.RunFolder is { } exact
            ? RunFolder.CreateAt(exact, recipe.SourceText, SettingsJson.Serialize(variants))
            : RunFolder.Create(process.OutputDirectory, recipe.Name, label, recipe.SourceText, SettingsJson.Serialize(variants));
        try
        {
            return Execute(recipe, variants, folder, request.Output, hooks, request.Seed, request.Progress);
        }
        catch
        {
            // A run that failed before it trained anything (missing data, a checkpoint file not found,
            // a bad image) leaves no stub folder behind; one with work in it stays, to resume or read.
            var path = folder.Path;
            bool empty = folder.IsEmptyRun();
            folder.Dispose();
            if (empty) Directory.Delete(path, recursive: true);
            throw;
        }
        finally
        {
            folder.Dispose();
        }
    }

    private static void NotAFile(string path, string what)
    {
        if (File.Exists(path))
            throw new IOException($"{what} `{path}` is a file, not a folder; give a folder (it is created when missing)");
    }

    /// <summary>
    /// Continues the run in <paramref name="runFolder"/> with the settings it was started with
    /// (settings.json), skipping finished stages and resuming the interrupted one from its checkpoint.
    /// </summary>
    public static ExperimentReport Resume(IRecipe recipe, string runFolder, RunRequest request, ExperimentHooks hooks)
    {
        using var folder = RunFolder.Open(runFolder);
        var saved = SettingsJson.Deserialize<List<ExperimentOptions>>(folder.ReadSettings(request.Output))
            ?? throw new InvalidDataException($"{folder.Path}: settings.json holds no variants");
        if (saved.Count == 0 || saved.Any(v => v.Recipe != recipe.Name))
            throw new InvalidDataException($"{folder.Path}: this run belongs to recipe `{saved.FirstOrDefault()?.Recipe}`, not `{recipe.Name}`");
        if (Changed(recipe, folder.Path, saved) is { } change)
            request.Output.WriteLine($"note: {change}; resume continues with the settings the run started with (settings.json). To run the recipe as it is now, start a new run.");
        // Only how the run executes may change on resume; what it computes stays as recorded.
        var variants = saved.Select(v => v with
        {
            Run = v.Run with { Threads = request.Threads ?? v.Run.Threads, Workers = request.Workers ?? v.Run.Workers, Device = request.Device ?? v.Run.Device },
            Data = request.DataPath is null ? v.Data : v.Data with { Path = request.DataPath },
        }).ToList();
        request.Output.WriteLine($"resuming {folder.Path}");
        CheckSeed(variants, request.Seed);
        return Execute(recipe, variants, folder, request.Output, hooks, request.Seed, request.Progress);
    }

    /// <summary>What differs between the run's saved recipe and settings and this build's, or null.</summary>
    private static string? Changed(IRecipe recipe, string folder, IReadOnlyList<ExperimentOptions> saved)
    {
        var copy = Path.Combine(folder, RunFolder.RecipeFileName);
        if (File.Exists(copy) && File.ReadAllText(copy) != recipe.SourceText)
            return $"recipe `{recipe.Name}` ({recipe.SourceFileName}) has changed since this run started";
        foreach (var v in saved)
        {
            var now = recipe.Variants.FirstOrDefault(c => c.Variant == v.Variant);
            if (now is null) return $"this build's recipe `{recipe.Name}` has no variant `{v.Variant}` any more";
            // What a run request may set is not a change of the recipe.
            now = now with
            {
                Run = now.Run with { Threads = v.Run.Threads, Workers = v.Run.Workers, Device = v.Run.Device, OutputDirectory = v.Run.OutputDirectory, CacheDirectory = v.Run.CacheDirectory },
                Data = now.Data with { Path = v.Data.Path },
            };
            if (SettingsJson.Serialize(now) != SettingsJson.Serialize(v))
                return $"this build resolves variant `{v.Variant}` of recipe `{recipe.Name}` differently from the build that started the run";
        }
        return null;
    }

    /// <summary>A `--seed` must be one of every variant's seeds: its replicate index sets the data seed.</summary>
    private static void CheckSeed(IReadOnlyList<ExperimentOptions> variants, int? seed)
    {
        if (seed is not int s) return;
        var lacking = variants.FirstOrDefault(v => !v.Run.Seeds.Contains(s));
        if (lacking is not null)
            throw new ArgumentException($"--seed {s} is not a seed of variant `{lacking.Variant}`; its seeds (run.seed) are [{string.Join(", ", lacking.Run.Seeds)}]");
    }

    /// <summary>The plan a run of <paramref name="variants"/> would execute (<c>show &lt;recipe&gt; --plan</c>).</summary>
    public static RunPlan PlanOf(IReadOnlyList<ExperimentOptions> variants, ExperimentHooks? hooks = null, int? onlySeed = null) =>
        RunPlan.Build(variants, onlySeed, hooks?.ConfigurePlan);

    private static ExperimentReport Execute(IRecipe recipe, IReadOnlyList<ExperimentOptions> variants, RunFolder folder, TextWriter output, ExperimentHooks hooks, int? onlySeed = null, Reporting.Progress.IProgressDisplay? progress = null)
    {
        var plan = PlanOf(variants, hooks, onlySeed);
        var run = Plan.RunResources.Check(variants);
        var resources = RunResources.Resolve(run, output);
        var threads = resources.Threads is null ? "" : resources.Threads.Describe() + "; ";
        // `auto` says what it chose: on a machine with a GPU the default moves every recipe there.
        var device = DeviceSelector.Choose(run.Device).Description;
        output.WriteLine($"MiDistill: recipe `{recipe.Name}` ({recipe.SourceFileName}), {variants.Count} variant(s), device {device}, {torch.get_num_threads()} thread(s) ({threads}{ThreadDefaults.Describe()}), {resources.Workers} data worker(s)");
        output.WriteLine($"run folder: {folder.Path}");

        var state = RunState<VariantResult>.Load(folder.CheckpointsPath);
        var context = new RunContext(resources, output, folder, hooks, state) { Progress = progress ?? new Reporting.Progress.PlainProgressDisplay(output) };
        // Lines after the last finished step belong to a step that did not finish: its checkpoint
        // holds them and writes them again when it resumes; without one (deleted) it starts afresh.
        // What mirrors the file (TensorBoard's events, which the process before may have left ahead
        // of it or behind it) starts again from what the file holds.
        context.RewindMetrics(always: true);
        var results = PlanRunner.Execute(plan, context, RunObservers.Standard(recipe.Name, variants[0].Evaluate));
        return new ExperimentReport(folder.Path, results);
    }

    /// <summary>One options record per seed (<see cref="RunPlan.Replicates"/>).</summary>
    internal static IEnumerable<(ExperimentOptions Options, int Replicate)> Replicates(ExperimentOptions options) =>
        RunPlan.Replicates(options).Select(u => (u.Options, u.Replicate));

    private static IReadOnlyList<ExperimentOptions> SelectVariants(IRecipe recipe, RunRequest request)
    {
        if (request.Variants.Count == 0) return recipe.Variants;
        var known = recipe.Variants.Select(v => v.Variant).ToList();
        var unknown = request.Variants.Where(v => !known.Contains(v)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"recipe `{recipe.Name}` has no variant {string.Join(", ", unknown.Select(u => "`" + u + "`"))}; its variants are {string.Join(", ", known.Select(k => "`" + k + "`"))}");
        return recipe.Variants.Where(v => request.Variants.Contains(v.Variant)).ToList();
    }

    private static ExperimentOptions ApplyRequest(ExperimentOptions options, RunRequest request) => options with
    {
        Data = request.DataPath is null ? options.Data : options.Data with { Path = request.DataPath },
        Run = options.Run with
        {
            Threads = request.Threads ?? options.Run.Threads,
            Workers = request.Workers ?? options.Run.Workers,
            Device = request.Device ?? options.Run.Device,
            OutputDirectory = request.OutputDirectory ?? options.Run.OutputDirectory,
            CacheDirectory = request.CacheDirectory ?? options.Run.CacheDirectory,
        },
    };

    /// <summary>
    /// Where relative input paths point: the recipe's project folder, so a checkpoint or data folder
    /// is the same file the build checked, wherever the executable starts; the working directory
    /// when the executable runs where that folder does not exist (another machine).
    /// </summary>
    private static string InputBase(IRecipe recipe, TextWriter output)
    {
        var project = recipe.ProjectDirectory;
        if (string.IsNullOrEmpty(project)) return Environment.CurrentDirectory;
        if (Directory.Exists(project)) return project;
        output.WriteLine($"note: the recipe's project folder {project} does not exist here; relative input paths resolve against {Environment.CurrentDirectory}");
        return Environment.CurrentDirectory;
    }

    /// <summary>Relative checkpoint and data paths made absolute against <paramref name="root"/>, so settings.json records the files a run read.</summary>
    internal static ExperimentOptions ResolveInputs(ExperimentOptions options, string root)
    {
        string Absolute(string path) => string.IsNullOrEmpty(path) || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(root, path));
        WeightsOptions Weights(WeightsOptions weights) => weights is CheckpointWeights c ? c with { Path = Absolute(c.Path) } : weights;
        return options with
        {
            Teacher = options.Teacher with { Weights = Weights(options.Teacher.Weights) },
            Distill = options.Distill with { StudentWeights = Weights(options.Distill.StudentWeights) },
            Data = options.Data with { Path = Absolute(options.Data.Path) },
        };
    }

    internal static Dictionary<string, double> Prefixed(VariantResult result)
    {
        var values = new Dictionary<string, double>();
        foreach (var kv in result.Pretrained ?? new Dictionary<string, double>()) values["pretrained " + kv.Key] = kv.Value;
        foreach (var kv in result.Teacher) values["teacher " + kv.Key] = kv.Value;
        foreach (var kv in result.Student) values["student " + kv.Key] = kv.Value;
        return values;
    }
}
