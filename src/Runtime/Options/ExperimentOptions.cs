using System.Collections.Generic;

namespace MiDistill.Runtime.Options;

// The typed settings a run receives, one record per recipe section. Recipes compile to these
// records (the generator emits every value, defaults included). The forms a setting can take
// (students, losses, optimizers, ...) are records of their own that carry their recipe names,
// arguments and behaviour: Optimizers.cs, Schedules.cs, Objectives.cs, Students.cs,
// DistillLosses.cs, Augmentations.cs, Regimes.cs, DataSources.cs, AnalyzeOptions.cs.
//
// The defaults here are the recipe language's defaults (docs/language.md), so a C# caller sets only
// what differs; a test compiles a recipe that sets nothing optional and compares it with them.
// Only the class lists have none: which classes an experiment uses is always the caller's choice.

/// <summary>One fully resolved experiment: one variant of one recipe.</summary>
public sealed record ExperimentOptions
{
    /// <summary>Names the run folder (runs/&lt;recipe&gt;/...).</summary>
    public string Recipe { get; init; } = "experiment";
    public string Variant { get; init; } = "default";
    public required TeacherOptions Teacher { get; init; }
    public required DataOptions Data { get; init; }
    public FinetuneOptions Finetune { get; init; } = new();
    public DistillOptions Distill { get; init; } = new();
    public EvaluateOptions Evaluate { get; init; } = new();
    public RunOptions Run { get; init; } = new();
    public AnalyzeOptions Analyze { get; init; } = new();
}

public sealed record TeacherOptions
{
    /// <summary>Default: the `tiny_28` preset, 4 blocks of width 64 for 28x28 grayscale images.</summary>
    public TeacherModelOptions Model { get; init; } = new VitOptions();
    /// <summary>Pretraining on the upstream split; null when <see cref="Weights"/> is a checkpoint (nothing is pretrained then).</summary>
    public PretrainOptions? Pretrain { get; init; }
    /// <summary>Where the teacher's starting weights come from (see ModelOptions.cs).</summary>
    public WeightsOptions Weights { get; init; } = new PretrainStageWeights();
}

/// <summary>
/// The teacher architecture. The teacher is a Vision Transformer by construction (the method's MLP
/// reweighting and the MI analyses work on its blocks): a form of this choice builds a
/// <see cref="Models.VisionTransformer"/> its own way. The built-in `vit` form (<see cref="VitOptions"/>)
/// is described by the recipe language with its presets; a user's own teacher is a record deriving
/// from this one with <see cref="RecipeFormAttribute"/>.
/// </summary>
[RecipeChoice("teacher_model")]
public abstract record TeacherModelOptions
{
    /// <summary>The model's name in logs and in the pretrained-teacher cache's file names.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public abstract string ModelName { get; }

    /// <summary>The image side the model takes (batches are resized to it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public abstract int InputSize { get; }

    /// <summary>The channels the model takes (grayscale is repeated for 3).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public abstract int InputChannels { get; }

    /// <summary>A freshly initialised teacher predicting <paramref name="numClasses"/> logits.</summary>
    public abstract Models.VisionTransformer Create(int numClasses);
}

/// <summary>A ViT by explicit dimensions (recipes resolve presets; the defaults are the `tiny_28` preset).</summary>
public sealed record VitOptions : TeacherModelOptions
{
    [System.Text.Json.Serialization.JsonIgnore] public override string ModelName => Name;
    [System.Text.Json.Serialization.JsonIgnore] public override int InputSize => ImageSize;
    [System.Text.Json.Serialization.JsonIgnore] public override int InputChannels => InChannels;
    public override Models.VisionTransformer Create(int numClasses) => new(Spec, numClasses);

    /// <summary>The model's own spec: the ViT knows nothing of option records.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Models.VitSpec Spec => new(Name, ImageSize, PatchSize, InChannels, EmbedDim, Depth, Heads, MlpRatio);

    public string Name { get; init; } = "tiny_28";
    public int ImageSize { get; init; } = 28;
    public int PatchSize { get; init; } = 4;
    public int InChannels { get; init; } = 1;
    public int EmbedDim { get; init; } = 64;
    public int Depth { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public double MlpRatio { get; init; } = 2;
}

/// <summary>Supervised pretraining of the teacher on the upstream split; cached on disk.</summary>
public sealed record PretrainOptions : ITrainingStageOptions
{
    public required IReadOnlyList<int> Classes { get; init; }
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 128;
    public OptimizerOptions Optimizer { get; init; } = new AdamWOptions(LearningRate: 0.001, WeightDecay: 0.05);
    public LrScheduleOptions Schedule { get; init; } = new CosineLr(WarmupEpochs: 1);
    /// <summary>At most this many upstream images (0 = all of them).</summary>
    public int MaxImages { get; init; }
    /// <summary>Seed of the pretraining run (initialisation and batch order), independent of the downstream seeds.</summary>
    public int Seed { get; init; }
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off).</summary>
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    public bool DecayExclusions { get; init; } = true;

    // Pretraining sees its upstream images as they are.
    IReadOnlyList<AugmentOptions> ITrainingStageOptions.Augment => [];
}

public sealed record DataOptions
{
    public DataSourceOptions Source { get; init; } = new FashionMnistSource();
    /// <summary>Where the source reads from; empty = the source's own default location.</summary>
    public string Path { get; init; } = "";
    public required IReadOnlyList<int> Classes { get; init; }
    public RegimeOptions Regime { get; init; } = new FullRegime();
    /// <summary>Fraction of each class's selected images held out for validation (taken out of the labelled budget).</summary>
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>
    /// Validation images per class drawn beside the regime's images rather than out of them, so the
    /// labelled budget stays whole (0 = none; needs <see cref="ValidationFraction"/> 0).
    /// </summary>
    public int ValidationPerClass { get; init; }
    /// <summary>At most this many test images (0 = the whole test split of the chosen classes).</summary>
    public int MaxTestImages { get; init; }
    public int Seed { get; init; }
    /// <summary>
    /// Images per downstream class set aside once, whatever the seed, as the pool replicates draw their
    /// labelled and validation images from; pretraining never sees them. 0 = no pool: pretraining sees
    /// every image the replicate did not draw (so overlapping classes give one teacher per replicate).
    /// </summary>
    public int ReservedPerClass { get; init; }
}

public sealed record FinetuneOptions : ITrainingStageOptions
{
    public ObjectiveOptions Objective { get; init; } = new SamObjective(Rho: 0.05);
    public ReweightOptions Reweight { get; init; } = new NoReweight();
    public OptimizerOptions Optimizer { get; init; } = new AdamWOptions(LearningRate: 0.0005, WeightDecay: 0.05);
    public LrScheduleOptions Schedule { get; init; } = new CosineLr(WarmupEpochs: 1);
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off); with SAM, the gradient the base optimizer uses.</summary>
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    public bool DecayExclusions { get; init; } = true;
    /// <summary>Batch augmentations in order (empty = none).</summary>
    public IReadOnlyList<AugmentOptions> Augment { get; init; } = [];
}

public sealed record DistillOptions : ITrainingStageOptions
{
    public StudentOptions Student { get; init; } = new SmallCnnOptions(Width: 16);
    /// <summary>Where the student's starting weights come from (see ModelOptions.cs).</summary>
    public WeightsOptions StudentWeights { get; init; } = new RandomWeights();
    /// <summary>The image side the student sees (0 = the data's image size); teacher and student are resized from the same batch.</summary>
    public int StudentInputSize { get; init; }
    public DistillLossOptions Loss { get; init; } = new KdLossOptions(Temperature: 4, Weight: 1);
    public OptimizerOptions Optimizer { get; init; } = new AdamWOptions(LearningRate: 0.002, WeightDecay: 0.0005);
    public LrScheduleOptions Schedule { get; init; } = new CosineLr(WarmupEpochs: 1);
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 32;
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off).</summary>
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    public bool DecayExclusions { get; init; } = true;
    /// <summary>Batch augmentations in order (empty = none).</summary>
    public IReadOnlyList<AugmentOptions> Augment { get; init; } = [];
    /// <summary>
    /// Unlabeled images per downstream class the student also learns from, labelled by the teacher's
    /// predictions (the transfer set; 0 = none). Disjoint from every other split; unused by a loss without a teacher.
    /// </summary>
    public int Transfer { get; init; }
}

public sealed record EvaluateOptions
{
    public IReadOnlyList<Metric> Metrics { get; init; } = [Metric.Accuracy, Metric.BalancedAccuracy];
    public SelectionProtocol Protocol { get; init; } = new HonestProtocol();
    /// <summary>The variant paired statistics compare every other variant with; empty = the first variant run.</summary>
    public string Reference { get; init; } = "";
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

/// <summary>What changes from one replicate (one seed of <c>run.seed</c>) to the next.</summary>
public enum ReplicateVariation
{
    /// <summary>The i-th replicate uses its own seed for initialisation and batch order, and data seed + i for the images.</summary>
    Both,
    /// <summary>Only initialisation and batch order: every replicate trains on the same images (data seed as given).</summary>
    Training,
    /// <summary>Only the images (data seed + i): every replicate initialises and orders batches with the first seed.</summary>
    Data,
}

public sealed record RunOptions
{
    public DeviceKind Device { get; init; } = DeviceKind.Auto;
    /// <summary>Intra-op threads; 0 = the cores other processes leave free, kept matched to the load (<see cref="Training.ThreadGovernor"/>).</summary>
    public int Threads { get; init; }
    /// <summary>Background threads reading and decoding batches ahead of training; 0 = the cores the training threads leave (at least 1).</summary>
    public int Workers { get; init; }
    /// <summary>One replicate per seed: the table reports mean and standard deviation over them.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    /// <summary>The seed of this replicate (the first when several are listed); it names the replicate.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Seed => Seeds[0];
    /// <summary>What a replicate varies: the training randomness, the downstream data draw, or both.</summary>
    public ReplicateVariation Vary { get; init; } = ReplicateVariation.Both;
    /// <summary>
    /// The seed of initialisation and batch order in this replicate: its own <see cref="Seed"/>, unless
    /// replicates vary only the data draw (then every replicate uses the recipe's first seed).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int TrainingSeed => FixedTrainingSeed ?? Seed;
    /// <summary>Set on a replicate whose training randomness is held fixed (<see cref="ReplicateVariation.Data"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int? FixedTrainingSeed { get; init; }
    /// <summary>Also checkpoint after every this-many-th step of a stage (0 = at epoch ends only).</summary>
    public int CheckpointEverySteps { get; init; }
    /// <summary>Root of run folders (runs/&lt;recipe&gt;/...).</summary>
    public string OutputDirectory { get; init; } = "runs";
    /// <summary>Where pretrained teachers are cached, keyed by teacher and pretraining settings.</summary>
    public string CacheDirectory { get; init; } = ".cache/midistill";
}
