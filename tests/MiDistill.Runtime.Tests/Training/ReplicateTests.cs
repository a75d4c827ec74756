using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.Training;

/// <summary>
/// What variants of one seed share, and what `run.vary` changes between replicates. Paired statistics
/// are only meaningful when the variants of a seed differ in nothing but their settings.
/// </summary>
public sealed class ReplicateTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-replicates-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static ExperimentOptions Options(ReplicateVariation vary) => new()
    {
        Teacher = new TeacherOptions { Pretrain = new PretrainOptions { Classes = [0, 1] } },
        Data = new DataOptions { Classes = [2, 3], Seed = 10 },
        Run = new RunOptions { Seeds = [7, 8, 9], Vary = vary },
    };

    [Fact]
    public void Both_varies_the_training_seed_and_the_data_seed()
    {
        var replicates = Experiment.Replicates(Options(ReplicateVariation.Both)).ToList();
        Assert.Equal(new[] { 7, 8, 9 }, replicates.Select(r => r.Options.Run.Seed));
        Assert.Equal(new[] { 7, 8, 9 }, replicates.Select(r => r.Options.Run.TrainingSeed));
        Assert.Equal(new[] { 10, 11, 12 }, replicates.Select(r => r.Options.Data.Seed));
        Assert.Equal(new[] { 0, 1, 2 }, replicates.Select(r => r.Replicate));
    }

    [Fact]
    public void Training_keeps_the_images_of_every_replicate()
    {
        var replicates = Experiment.Replicates(Options(ReplicateVariation.Training)).ToList();
        Assert.Equal(new[] { 7, 8, 9 }, replicates.Select(r => r.Options.Run.TrainingSeed));
        Assert.Equal(new[] { 10, 10, 10 }, replicates.Select(r => r.Options.Data.Seed));
    }

    [Fact]
    public void Data_keeps_the_training_randomness_of_the_first_seed()
    {
        var replicates = Experiment.Replicates(Options(ReplicateVariation.Data)).ToList();
        // Replicates keep their names (seed7, seed8, ...) and folders; only their training seed is fixed.
        Assert.Equal(new[] { 7, 8, 9 }, replicates.Select(r => r.Options.Run.Seed));
        Assert.Equal(new[] { 7, 7, 7 }, replicates.Select(r => r.Options.Run.TrainingSeed));
        Assert.Equal(new[] { 10, 11, 12 }, replicates.Select(r => r.Options.Data.Seed));
    }

    [Fact]
    public void Variants_of_a_seed_start_from_the_same_teacher_and_the_same_student()
    {
        var started = new Dictionary<(string Stage, string Variant, int Seed), float[]>();
        var hooks = new ExperimentHooks
        {
            ModelReady = r => started[(r.Stage, r.Variant, r.Seed)] =
                r.Model.parameters().SelectMany(p => p.detach().cpu().flatten().data<float>().ToArray()).ToArray(),
        };
        var options = new ExperimentOptions
        {
            Recipe = "pairing",
            Teacher = new TeacherOptions
            {
                Model = new VitOptions { Name = "micro", PatchSize = 7, EmbedDim = 16, Depth = 2, Heads = 2 },
                Pretrain = new PretrainOptions { Classes = [0, 1, 2, 3], Epochs = 1, MaxImages = 200 },
            },
            Data = new DataOptions { Classes = [4, 5], Regime = new FewShotRegime(PerClass: 4), ValidationFraction = 0, MaxTestImages = 20 },
            Finetune = new FinetuneOptions { Epochs = 1, BatchSize = 8 },
            Distill = new DistillOptions { Epochs = 1, BatchSize = 8, Student = new SmallCnnOptions(Width: 4) },
            Run = new RunOptions { Threads = 1, Seeds = [0, 1], OutputDirectory = Path.Combine(_root, "runs"), CacheDirectory = Path.Combine(_root, "cache") },
        };
        var variants = new[]
        {
            options with { Variant = "labels_only", Distill = options.Distill with { Loss = new LabelsOnlyLossOptions() } },
            options with { Variant = "vanilla", Finetune = options.Finetune with { Objective = new CrossEntropyObjective() } },
            options with { Variant = "remem", Finetune = options.Finetune with { Reweight = new MlpReweight(Top: 1, Alpha: 0.5, Schedule: new ConstantReweightSchedule()) } },
        };

        Experiment.Run(new CodeRecipeForTests(variants), new RunRequest { Output = TextWriter.Null }, hooks);

        foreach (int seed in new[] { 0, 1 })
        {
            Assert.Equal(started[("distill", "labels_only", seed)], started[("distill", "vanilla", seed)]);
            Assert.Equal(started[("distill", "labels_only", seed)], started[("distill", "remem", seed)]);
            Assert.Equal(started[("finetune", "vanilla", seed)], started[("finetune", "remem", seed)]);
        }
        // The labels-only baseline fine-tunes no teacher.
        Assert.DoesNotContain(("finetune", "labels_only", 0), started.Keys);
        // Seeds differ: otherwise the checks above would hold for any code.
        Assert.NotEqual(started[("distill", "vanilla", 0)], started[("distill", "vanilla", 1)]);
    }

    private sealed class CodeRecipeForTests(IReadOnlyList<ExperimentOptions> variants) : IRecipe
    {
        public string Name => variants[0].Recipe;
        public string SourceFileName => "(C#)";
        public string SourceText => "";
        public IReadOnlyList<ExperimentOptions> Variants => variants;
        public ExperimentReport Run(RunRequest request) => Experiment.Run(this, request, new ExperimentHooks());
        public ExperimentReport Resume(string runFolder, RunRequest request) => Experiment.Resume(this, runFolder, request, new ExperimentHooks());
    }
}
