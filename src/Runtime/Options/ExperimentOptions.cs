using System.Collections.Generic;

namespace MiDistill.Runtime.Options;

// The typed settings a run receives, one record per recipe section. Recipes compile to these
// records (the generator emits every value, defaults included). The forms a setting can take
// (students, losses, optimizers, ...) are records of their own that carry their recipe names,
// arguments and behaviour: Optimizers.cs, Schedules.cs, Objectives.cs, Students.cs,
// DistillLosses.cs, Augmentations.cs, Regimes.cs, DataSources.cs, AnalyzeOptions.cs.

/// <summary>One fully resolved experiment: one variant of one recipe.</summary>
public sealed record ExperimentOptions
{
    public required string Recipe { get; init; }
    public required string Variant { get; init; }
    public required TeacherOptions Teacher { get; init; }
    public required DataOptions Data { get; init; }
    public required FinetuneOptions Finetune { get; init; }
    public required DistillOptions Distill { get; init; }
    public required EvaluateOptions Evaluate { get; init; }
    public required RunOptions Run { get; init; }
    public required AnalyzeOptions Analyze { get; init; }
}

public sealed record TeacherOptions
{
    public required VitOptions Model { get; init; }
    /// <summary>Null when <see cref="Weights"/> is a checkpoint: nothing is pretrained then.</summary>
    public required PretrainOptions? Pretrain { get; init; }
    /// <summary>Where the teacher's starting weights come from (see ModelOptions.cs).</summary>
    public WeightsOptions Weights { get; init; } = new PretrainStageWeights();
}

/// <summary>A ViT by explicit dimensions (presets are resolved by the recipe compiler).</summary>
public sealed record VitOptions
{
    public required string Name { get; init; }
    public required int ImageSize { get; init; }
    public required int PatchSize { get; init; }
    public required int InChannels { get; init; }
    public required int EmbedDim { get; init; }
    public required int Depth { get; init; }
    public required int Heads { get; init; }
    public required double MlpRatio { get; init; }
}

/// <summary>Supervised pretraining of the teacher on the upstream split; cached on disk.</summary>
public sealed record PretrainOptions
{
    public required IReadOnlyList<int> Classes { get; init; }
    public required int Epochs { get; init; }
    public required int BatchSize { get; init; }
    public required OptimizerOptions Optimizer { get; init; }
    public required LrScheduleOptions Schedule { get; init; }
    /// <summary>At most this many upstream images (0 = all of them).</summary>
    public required int MaxImages { get; init; }
    /// <summary>Seed of the pretraining run (initialisation and batch order), independent of the downstream seeds.</summary>
    public required int Seed { get; init; }
    // Training-method settings (TrainingOptions.cs). Not `required` so hand-built options stay valid;
    // an absent value means the feature is off, recipes always set them.
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off).</summary>
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    public bool DecayExclusions { get; init; }
}

public sealed record DataOptions
{
    public required DataSourceOptions Source { get; init; }
    /// <summary>Where the source reads from; empty = the source's own default location.</summary>
    public required string Path { get; init; }
    public required IReadOnlyList<int> Classes { get; init; }
    public required RegimeOptions Regime { get; init; }
    public required double ValidationFraction { get; init; }
    /// <summary>At most this many test images (0 = the whole test split of the chosen classes).</summary>
    public required int MaxTestImages { get; init; }
    public required int Seed { get; init; }
}

public sealed record FinetuneOptions
{
    public required ObjectiveOptions Objective { get; init; }
    public required ReweightOptions Reweight { get; init; }
    public required OptimizerOptions Optimizer { get; init; }
    public required LrScheduleOptions Schedule { get; init; }
    public required int Epochs { get; init; }
    public required int BatchSize { get; init; }
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off); with SAM, the gradient the base optimizer uses.</summary>
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    public bool DecayExclusions { get; init; }
    /// <summary>Batch augmentations in order (empty = none).</summary>
    public IReadOnlyList<AugmentOptions> Augment { get; init; } = [];
}

public sealed record DistillOptions
{
    public required StudentOptions Student { get; init; }
    /// <summary>Where the student's starting weights come from (see ModelOptions.cs).</summary>
    public WeightsOptions StudentWeights { get; init; } = new RandomWeights();
    public required DistillLossOptions Loss { get; init; }
    public required OptimizerOptions Optimizer { get; init; }
    public required LrScheduleOptions Schedule { get; init; }
    public required int Epochs { get; init; }
    public required int BatchSize { get; init; }
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off); with SAM, the gradient the base optimizer uses.</summary>
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    public bool DecayExclusions { get; init; }
    /// <summary>Batch augmentations in order (empty = none).</summary>
    public IReadOnlyList<AugmentOptions> Augment { get; init; } = [];
}

public sealed record EvaluateOptions
{
    public required IReadOnlyList<Metric> Metrics { get; init; }
    public required SelectionProtocol Protocol { get; init; }
}

/// <summary>How teacher checkpoint and student are chosen before the test split is read.</summary>
public abstract record SelectionProtocol;
/// <summary>Every choice on the validation split; the test split is evaluated once, at the end.</summary>
public sealed record HonestProtocol : SelectionProtocol;
/// <summary>
/// The paper's protocol: keep the teacher after each listed fine-tuning epoch, distil a student from
/// each, report the best student on the test split (optimistic: the test split makes the choice).
/// </summary>
public sealed record PaperProtocol(IReadOnlyList<int> Checkpoints) : SelectionProtocol;

public enum Metric { Accuracy, BalancedAccuracy }

public enum DeviceKind { Cpu, Cuda, Auto }

public sealed record RunOptions
{
    public required DeviceKind Device { get; init; }
    /// <summary>Intra-op threads; 0 = all cores.</summary>
    public required int Threads { get; init; }
    /// <summary>One replicate per seed: the table reports mean and standard deviation over them.</summary>
    public required IReadOnlyList<int> Seeds { get; init; }
    /// <summary>The seed of this replicate (the first when several are listed).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Seed => Seeds[0];
    /// <summary>Also checkpoint after every this-many-th step of a stage (0 = at epoch ends only).</summary>
    public required int CheckpointEverySteps { get; init; }
    /// <summary>Root of run folders (runs/&lt;recipe&gt;/...).</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>Where pretrained teachers are cached, keyed by teacher and pretraining settings.</summary>
    public required string CacheDirectory { get; init; }
}
