using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;
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
        var saved = SettingsJson.Deserialize<List<ExperimentOptions>>(File.ReadAllText(settings));
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
        var first = variants[0];
        var label = variants.Count == recipe.Variants.Count ? "all" : string.Join("+", variants.Select(v => v.Variant));
        CheckSeed(variants, request.Seed);
        if (request.Seed is int only) label += $"-seed{only}";
        // Setup errors fail before a run folder exists: a device the build cannot use, paths that are files.
        DeviceSelector.Resolve(first.Run.Device);
        foreach (var v in variants)
        {
            NotAFile(v.Run.OutputDirectory, "the output folder (run.output, --output)");
            NotAFile(v.Run.CacheDirectory, "the teacher cache (run.cache, --cache)");
        }
        var folder = request.RunFolder is { } exact
            ? RunFolder.CreateAt(exact, recipe.SourceText, SettingsJson.Serialize(variants))
            : RunFolder.Create(first.Run.OutputDirectory, recipe.Name, label, recipe.SourceText, SettingsJson.Serialize(variants));
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
        var saved = SettingsJson.Deserialize<List<ExperimentOptions>>(File.ReadAllText(Path.Combine(folder.Path, RunFolder.SettingsFileName)))
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

    private static ExperimentReport Execute(IRecipe recipe, IReadOnlyList<ExperimentOptions> variants, RunFolder folder, TextWriter output, ExperimentHooks hooks, int? onlySeed = null, Reporting.Progress.IProgressDisplay? progress = null)
    {
        var first = variants[0];
        var governor = ThreadGovernor.Start(first.Run.Threads, output);
        var device = DeviceSelector.Resolve(first.Run.Device);
        // Workers are sized once, from the cores the first choice of threads leaves.
        int workers = first.Run.Workers > 0 ? first.Run.Workers : Data.BatchStream.AutoWorkers(torch.get_num_threads());
        var threads = governor is null ? "" : governor.Describe() + "; ";
        output.WriteLine($"MiDistill: recipe `{recipe.Name}` ({recipe.SourceFileName}), {variants.Count} variant(s), device {device.type.ToString().ToLowerInvariant()}, {torch.get_num_threads()} thread(s) ({threads}{ThreadDefaults.Describe()}), {workers} data worker(s)");
        output.WriteLine($"run folder: {folder.Path}");

        var checkpoints = folder.CheckpointsPath;
        var state = RunState.Load(checkpoints);
        // Lines after the last finished stage belong to a stage that did not finish: its checkpoint
        // holds them and writes them again when it resumes; without one (deleted) it starts afresh.
        folder.TruncateMetrics(state.MetricsBytes);
        var context = new RunContext(device, output, folder, hooks, state) { Progress = progress ?? new Reporting.Progress.PlainProgressDisplay(output), Workers = workers, Threads = governor };
        var loaded = new Dictionary<DataOptions, LoadedData>();
        var results = new List<VariantResult>();
        bool withoutValidation = false;
        var pretrainedScoreCache = new Dictionary<(string, int, int, string), IReadOnlyDictionary<string, double>>();
        var analysis = new Information.AnalysisStage(context); // MI diagnostics; no-op unless a variant turns them on

        // One replicate keeps its index in the seed list (its data seed is data.seed + index), so it
        // computes exactly what it computes in a run of every seed.
        foreach (var (options, replicate) in variants.SelectMany(Replicates).Where(r => onlySeed is null || r.Options.Run.Seed == onlySeed))
        {
            context.Replicate = replicate;
            // Evaluation and analysis run no training steps: the thread count is checked here too.
            context.Threads?.CheckIfDue();
            var unit = $"{options.Variant}/seed{options.Run.Seed}";
            bool finished = state.Results.TryGetValue(unit, out var done);
            if (finished && !Information.AnalysisStage.Enabled(options.Analyze))
            {
                results.Add(done!);
                continue;
            }
            var watch = Stopwatch.StartNew();
            // Replicates and variants that read the same files share one loaded copy.
            var source = options.Data with { Classes = Array.Empty<int>(), Regime = new FullRegime(), Seed = 0, ValidationFraction = 0, MaxTestImages = 0 };
            if (!loaded.TryGetValue(source, out var dataset))
                loaded[source] = dataset = options.Data.Source.Load(options.Data.Path);
            var data = DataSplits.Build(dataset.Train, dataset.Test, options.Data, Stages.Upstream(options), options.Distill.Transfer);
            withoutValidation |= data.Validation.Count == 0;
            // Recorded with the replicate's results, so a sweep's collect writes the same table header (Sweeps/SweepCollector).
            state.WithoutValidation |= data.Validation.Count == 0;
            output.WriteLine($"[{unit}] data: {data.Train.Count} train, {data.Validation.Count} validation, {data.Test.Count} test images of classes [{string.Join(", ", data.DownstreamClasses)}]"
                + (data.Transfer.Count > 0 ? $", {data.Transfer.Count} unlabeled for distillation" : ""));

            var stem = Path.Combine(checkpoints, $"{options.Variant}-seed{options.Run.Seed}");
            // A loss that reads no teacher (the labels-only baseline) needs none: no pretraining,
            // fine-tuning, teacher analysis or teacher evaluation for this variant.
            bool teacherless = !options.Distill.Loss.UsesTeacher;
            VisionTransformer? teacher = null;
            double pretrainSeconds = 0;
            IReadOnlyDictionary<string, double>? pretrainedScores = null;
            if (teacherless)
                output.WriteLine($"[{unit}] no teacher: the loss uses labels only, so the teacher is neither fine-tuned nor evaluated");
            else
            {
                var pretrainWatch = Stopwatch.StartNew();
                var pretrained = Stages.PretrainedTeacher(context, options, data);
                pretrainSeconds = pretrainWatch.Elapsed.TotalSeconds;
                // Pretrained on exactly the downstream classes, the teacher can be scored before any
                // fine-tuning: what fine-tuning on the few labelled images adds (or costs).
                // Variants of one replicate share the pretrained teacher and the test images: score it once.
                if (options.Teacher.Weights is not CheckpointWeights && data.UpstreamClasses.SequenceEqual(data.DownstreamClasses))
                {
                    var key = (pretrained, options.Data.Seed, options.Data.MaxTestImages, string.Join(",", options.Evaluate.Metrics));
                    if (!pretrainedScoreCache.TryGetValue(key, out pretrainedScores))
                    {
                        using var before = Stages.LoadPretrained(options, data, pretrained, device);
                        pretrainedScoreCache[key] = pretrainedScores = Evaluator.Evaluate(before, data.Test, device, InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics), options.Evaluate.Metrics);
                    }
                }
                analysis.BeforeFinetune(options, data, pretrained);
                teacher = RunStage(state, context, unit, "finetune", stem + "-teacher.safetensors", stem + "-finetune.ckpt",
                    () => Stages.Finetune(context, options, data, pretrained, new StageFiles(stem + "-finetune.ckpt", epoch => $"{stem}-teacher-epoch{epoch}.safetensors")),
                    () => Stages.LoadTeacher(options, data, stem + "-teacher.safetensors", device));
                analysis.AfterFinetune(options, data, teacher);
            }
            using var teacherScope = teacher;
            if (finished)
            {
                // A resumed run measures the analyses of finished replicates again from their saved
                // weights (deterministic, seconds), so analysis/ covers the whole run; results stay as recorded.
                if (teacher is not null && options.Evaluate.Protocol is PaperProtocol kept)
                    foreach (var epoch in kept.Checkpoints)
                    {
                        Checkpoints.ModelFile.Load(teacher, $"{stem}-teacher-epoch{epoch}.safetensors", Stages.DamagedRunFile);
                        analysis.KeptCheckpoint(options, data, teacher, epoch);
                    }
                results.Add(done!);
                continue;
            }

            var result = options.Evaluate.Protocol switch
            {
                PaperProtocol paper when teacher is not null => PaperSelection(context, state, analysis, options, data, teacher, stem, unit, paper),
                _ => HonestSelection(context, state, options, data, teacher, stem, unit),
            };
            result = result with { Seconds = watch.Elapsed.TotalSeconds, PretrainSeconds = pretrainSeconds, Pretrained = pretrainedScores };
            results.Add(result);
            folder.TruncateMetrics(context.CommittedMetricsBytes);
            folder.Metrics.Write("evaluate", options.Variant, options.Run.Seed, replicate, 0, Prefixed(result));
            output.WriteLine($"[{unit}] test: " + string.Join(", ", Prefixed(result).Select(kv => $"{kv.Key} {Percent(kv.Value)}")));
            state.Results[unit] = result;
            context.Commit();
            GC.Collect();
        }

        var summary = ResultReport.Write(folder.Path, recipe.Name, first.Evaluate, results, withoutValidation || state.WithoutValidation);
        output.WriteLine();
        output.Write(summary);
        output.WriteLine($"Saved to {folder.Path}");
        analysis.AddStudents(results);
        analysis.Finish();
        Reporting.Report.RunReport.Write(folder.Path, output);
        return new ExperimentReport(folder.Path, results);
    }

    private static VariantResult HonestSelection(RunContext context, RunState state, ExperimentOptions options, ExperimentData data, VisionTransformer? teacher, string stem, string unit)
    {
        using var student = RunStage(state, context, unit, "distill", stem + "-student.safetensors", stem + "-distill.ckpt",
            () => Stages.Distill(context, options, data, teacher, new StageFiles(stem + "-distill.ckpt")),
            () => Stages.LoadStudent(options, data, stem + "-student.safetensors", context.Device));
        return Evaluate(options, data, teacher, student, context.Device);
    }

    /// <summary>The paper's protocol: a student from each kept teacher epoch; the best on the test split is reported.</summary>
    private static VariantResult PaperSelection(RunContext context, RunState state, Information.AnalysisStage analysis, ExperimentOptions options, ExperimentData data, VisionTransformer teacher, string stem, string unit, PaperProtocol paper)
    {
        VariantResult? best = null;
        foreach (var epoch in paper.Checkpoints)
        {
            Checkpoints.ModelFile.Load(teacher, $"{stem}-teacher-epoch{epoch}.safetensors", Stages.DamagedRunFile);
            teacher.to(context.Device);
            analysis.KeptCheckpoint(options, data, teacher, epoch);
            using var student = RunStage(state, context, $"{unit}/epoch{epoch}", "distill", $"{stem}-student-epoch{epoch}.safetensors", $"{stem}-distill-epoch{epoch}.ckpt",
                () => Stages.Distill(context, options with { Variant = $"{options.Variant}@{epoch}" }, data, teacher, new StageFiles($"{stem}-distill-epoch{epoch}.ckpt")),
                () => Stages.LoadStudent(options, data, $"{stem}-student-epoch{epoch}.safetensors", context.Device));
            var candidate = Evaluate(options, data, teacher, student, context.Device) with { TeacherEpoch = epoch };
            context.Output.WriteLine($"[{unit}] teacher epoch {epoch}: student test acc {Percent(candidate.Student.Values.First())}");
            if (best is null || candidate.Student.Values.First() > best.Student.Values.First()) best = candidate;
        }
        return best!;
    }

    /// <summary>Runs a stage once: a finished stage's weights are loaded instead of trained again.</summary>
    private static TModel RunStage<TModel>(RunState state, RunContext context, string unit, string stage, string weights, string checkpoint, Func<TModel> train, Func<TModel> load)
        where TModel : nn.Module
    {
        var key = $"{unit}/{stage}";
        if (state.Finished.Contains(key) && File.Exists(weights)) return load();
        var model = train();
        try
        {
            Checkpoints.ModelFile.Save(model, weights);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        state.Finished.Add(key);
        context.Commit();
        // Committed: the stage's resumable checkpoint is of no further use.
        File.Delete(checkpoint);
        return model;
    }

    private static VariantResult Evaluate(ExperimentOptions options, ExperimentData data, VisionTransformer? teacher, nn.Module<Tensor, Tensor> student, Device device)
    {
        var teacherInput = InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics);
        var studentInput = Stages.StudentInput(options, data);
        // No teacher (labels only): its columns stay empty rather than showing a teacher no one used.
        return new VariantResult(options.Variant, options.Run.Seed,
            teacher is null ? new Dictionary<string, double>() : Evaluator.Evaluate(teacher, data.Test, device, teacherInput, options.Evaluate.Metrics),
            Evaluator.Evaluate(student, data.Test, device, studentInput, options.Evaluate.Metrics),
            0);
    }

    /// <summary>
    /// One options record per seed. Replicate i is named by seeds[i]; by default it also initialises
    /// and orders batches with seeds[i] and draws its images with data seed + i. `run.vary` holds
    /// one of the two fixed: `training` keeps the data seed, `data` keeps the first seed for training.
    /// </summary>
    internal static IEnumerable<(ExperimentOptions Options, int Replicate)> Replicates(ExperimentOptions options) =>
        options.Run.Seeds.Select((seed, i) => (options with
        {
            Run = options.Run with
            {
                Seeds = new[] { seed },
                FixedTrainingSeed = options.Run.Vary == ReplicateVariation.Data ? options.Run.Seeds[0] : null,
            },
            Data = options.Data with { Seed = options.Data.Seed + (options.Run.Vary == ReplicateVariation.Training ? 0 : i) },
        }, i));

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

    private static string Percent(double value) =>
        (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
