using System.Collections.Generic;
using MiDistill.Runtime.Options;

namespace MiDistill.Runtime.Training;

/// <summary>A compiled recipe: what the generator emits for each `recipe` in a .distill file.</summary>
public interface IRecipe
{
    string Name { get; }
    string SourceFileName { get; }
    /// <summary>The exact recipe text that was compiled (copied into every run folder).</summary>
    string SourceText { get; }
    IReadOnlyList<ExperimentOptions> Variants { get; }

    /// <summary>
    /// The folder relative input paths of the recipe (checkpoints, data folders) are relative to:
    /// the project folder the recipe was built in, as the build-time checks saw it. Null = the
    /// working directory.
    /// </summary>
    string? ProjectDirectory => null;

    ExperimentReport Run(RunRequest request);
    /// <summary>Continues an interrupted run of this recipe from its run folder.</summary>
    ExperimentReport Resume(string runFolder, RunRequest request);

    /// <summary>The plan a run of every variant executes, the recipe's own steps included (<c>show &lt;recipe&gt; --plan</c>).</summary>
    Plan.RunPlan Plan() => Experiment.PlanOf(Variants);
}

/// <summary>Command-line choices that apply to one run of a recipe, on top of its settings.</summary>
public sealed record RunRequest
{
    /// <summary>Run only these variants (empty = all).</summary>
    public IReadOnlyList<string> Variants { get; init; } = new string[0];
    public string? OutputDirectory { get; init; }
    public string? CacheDirectory { get; init; }
    public int? Threads { get; init; }
    /// <summary>Background batch-decoding threads (overrides <c>run.workers</c>; batches are the same whatever the count).</summary>
    public int? Workers { get; init; }
    public DeviceKind? Device { get; init; }
    public string? DataPath { get; init; }
    /// <summary>Run (or resume) only the replicate of this seed, one of the recipe's <c>run.seed</c> values (null = every seed).</summary>
    public int? Seed { get; init; }
    /// <summary>
    /// Run in exactly this folder (created when missing) instead of a new timestamped folder under the
    /// output root: a sweep's unit runs in its own subfolder of the sweep folder (docs/sweeps.md).
    /// </summary>
    public string? RunFolder { get; init; }
    public System.IO.TextWriter Output { get; init; } = System.Console.Out;
    /// <summary>How training progress is shown (null = plain lines on <see cref="Output"/>); the command line's --quiet, --verbose and terminal choose it.</summary>
    public Reporting.Progress.IProgressDisplay? Progress { get; init; }
}

/// <summary>Callbacks the generated class wires to its partial methods.</summary>
public sealed record ExperimentHooks
{
    public System.Action<EpochReport>? EpochCompleted { get; init; }
    /// <summary>
    /// A stage's model, initialised and about to train: the fine-tuning teacher (pretrained weights
    /// and head in place) or the new student. For logging, or to check what variants share.
    /// </summary>
    public System.Action<ModelReadyReport>? ModelReady { get; init; }

    /// <summary>
    /// Adds steps of your own to the run's plan (a recipe's <c>OnPlan</c> partial method), e.g.
    /// <c>plan.InsertAfter("distill", new MyProbeStep())</c>: they run, skip, load and resume like
    /// the built-in steps (docs/architecture.md).
    /// </summary>
    public System.Action<Plan.RunPlanBuilder>? ConfigurePlan { get; init; }
}

/// <summary>What a hook sees when a stage's model is ready to train; <see cref="Model"/> is only valid during the call.</summary>
public sealed record ModelReadyReport(string Stage, string Variant, int Seed, TorchSharp.torch.nn.Module Model);

/// <summary>What a hook sees after each epoch of each stage.</summary>
public sealed record EpochReport(string Stage, string Variant, int Epoch, int Epochs, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// The outcome of one replicate of one variant: test metrics of teacher and student.
/// <see cref="TeacherEpoch"/> is the fine-tuning epoch the reported teacher comes from under the paper's protocol.
/// </summary>
/// <see cref="PretrainSeconds"/> is the part of <see cref="Seconds"/> spent pretraining (0 when the teacher came from the cache);
/// <see cref="Pretrained"/> holds the pretrained teacher's own test metrics, measured when it was pretrained on exactly the downstream classes.
public sealed record VariantResult(string Variant, int Seed, IReadOnlyDictionary<string, double> Teacher, IReadOnlyDictionary<string, double> Student, double Seconds, int? TeacherEpoch = null,
    double PretrainSeconds = 0, IReadOnlyDictionary<string, double>? Pretrained = null);

public sealed record ExperimentReport(string RunFolder, IReadOnlyList<VariantResult> Results);
