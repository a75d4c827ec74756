using System.Collections.Generic;

namespace MiDistill.Runtime.Options;

// The typed settings a run receives. Recipes compile to these records (the generator emits every
// value, defaults included, so the schema in src/Dsl stays the single source of defaults); plain C#
// callers build them by hand. No defaults live here on purpose.

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
    public required string Source { get; init; }
    public required string Path { get; init; }
    public required IReadOnlyList<int> Classes { get; init; }
    public required RegimeOptions Regime { get; init; }
    public required double ValidationFraction { get; init; }
    /// <summary>At most this many test images (0 = the whole test split of the chosen classes).</summary>
    public required int MaxTestImages { get; init; }
    public required int Seed { get; init; }
    /// <summary>Side in pixels image-folder images are resized to when loaded (0 = the source's own size).</summary>
    public int ImageSize { get; init; }
    /// <summary>Channels image-folder images are decoded to.</summary>
    public ColorMode Color { get; init; }
}

public enum ColorMode { Grayscale, Rgb }

public abstract record RegimeOptions;
public sealed record FullRegime : RegimeOptions;
public sealed record FewShotRegime(int PerClass) : RegimeOptions;
/// <summary>n_c = MaxPerClass * ImbalanceRatio^(-c/(C-1)); MaxPerClass 0 = the smallest class's available count.</summary>
public sealed record LongTailRegime(double ImbalanceRatio, int MaxPerClass) : RegimeOptions;

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

public abstract record ObjectiveOptions;
public sealed record CrossEntropyObjective : ObjectiveOptions;
public sealed record SamObjective(double Rho) : ObjectiveOptions;

public abstract record ReweightOptions;
public sealed record NoReweight : ReweightOptions;
/// <summary>alpha applies to the top <see cref="Top"/> blocks' MLP branch; blocks below keep 1.</summary>
public sealed record MlpReweight(int Top, double Alpha, ReweightScheduleOptions Schedule) : ReweightOptions;

public abstract record ReweightScheduleOptions;
public sealed record ConstantReweightSchedule : ReweightScheduleOptions;
/// <summary>alpha moves linearly from 1 to the target over the first <see cref="Epochs"/> epochs.</summary>
public sealed record RampReweightSchedule(int Epochs) : ReweightScheduleOptions;

public abstract record OptimizerOptions;
public sealed record SgdOptions(double LearningRate, double Momentum, double WeightDecay, bool Nesterov) : OptimizerOptions;
public sealed record AdamWOptions(double LearningRate, double Beta1, double Beta2, double WeightDecay) : OptimizerOptions;

public abstract record LrScheduleOptions;
public sealed record ConstantLr : LrScheduleOptions;
/// <summary>Linear warmup over <see cref="WarmupEpochs"/>, then cosine decay to <see cref="MinLrFactor"/> x the base rate.</summary>
public sealed record CosineLr(double WarmupEpochs, double MinLrFactor) : LrScheduleOptions;

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

public abstract record StudentOptions;
/// <summary>A small CNN (conv-bn-relu stages); <see cref="Width"/> channels in the first stage.</summary>
public sealed record SmallCnnOptions(int Width) : StudentOptions;

public abstract record DistillLossOptions;
/// <summary>Hinton KD: (1-Weight) CE(y, s) + Weight T^2 KL(softmax(t/T) || softmax(s/T)).</summary>
public sealed record KdLossOptions(double Temperature, double Weight) : DistillLossOptions;
/// <summary>The student learns from labels only (the no-teacher baseline).</summary>
public sealed record LabelsOnlyLossOptions : DistillLossOptions;

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
