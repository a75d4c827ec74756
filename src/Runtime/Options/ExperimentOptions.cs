using System;
using System.Collections.Generic;
using MiDistill.Runtime.Data;

namespace MiDistill.Runtime.Options;

// The typed settings a run receives, one record per recipe section. Each section record declares
// itself ([RecipeSection]) and its settings ([RecipeSetting] on each property: recipe name, doc,
// range, default); the recipe compiler reads these declarations and nothing else, and recipes
// compile to these records (the generator emits every value, defaults included). The forms a
// setting can take (students, losses, optimizers, ...) are records of their own that carry their
// recipe names, arguments and behaviour: Optimizers.cs, Schedules.cs, Objectives.cs, Students.cs,
// DistillLosses.cs, Augmentations.cs, Regimes.cs, DataSources.cs, AnalyzeOptions.cs.
//
// The initial values here are the recipe language's defaults (docs/language.md), so a C# caller
// sets only what differs. Each is written twice, as the initialiser and as the attribute's
// `Default` in recipe syntax, because an initialiser is code in the constructor, not metadata the
// compiler can read from this assembly; a test (GeneratedRecipeRunTests) compiles a recipe that
// sets nothing optional and compares every setting with the initial value. Only the class lists
// have none: which classes an experiment uses is always the caller's choice.

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
    public ExportOptions Export { get; init; } = new();
}

[RecipeSection("teacher", "The teacher ViT and where its pretrained weights come from.", Order = 1)]
public sealed record TeacherOptions
{
    /// <summary>Default: the `tiny_28` preset, 4 blocks of width 64 for 28x28 grayscale images.</summary>
    [RecipeSetting(Doc = "teacher architecture", Default = "vit(preset: tiny_28)")]
    public TeacherModelOptions Model { get; init; } = new VitOptions();
    /// <summary>Pretraining on the upstream split; null when <see cref="Weights"/> is a checkpoint (nothing is pretrained then).</summary>
    [RecipeSetting(Doc = "pretraining stage on the upstream split", Choice = "pretrain", DefaultDoc = "required unless `weights` is a checkpoint")]
    public PretrainOptions? Pretrain { get; init; }
    /// <summary>Where the teacher's starting weights come from (see ModelOptions.cs).</summary>
    [RecipeSetting(Doc = "where the teacher's starting weights come from; a checkpoint skips pretraining", Choice = "teacher_weights", Default = "pretrain")]
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

/// <summary>
/// Supervised pretraining of the teacher on the upstream split; cached on disk. Its settings are the
/// arguments of the recipe's `upstream` form (`teacher.pretrain`, a choice the language defines).
/// </summary>
public sealed record PretrainOptions : ITrainingStageOptions
{
    [RecipeSetting(Doc = "upstream classes; images used downstream are never used here", Kind = RecipeArgKind.Classes)]
    public required IReadOnlyList<int> Classes { get; init; }
    [RecipeSetting(Doc = "pretraining epochs", Min = 1, Max = 1000, Default = "3")]
    public int Epochs { get; init; } = 3;
    [RecipeSetting(Doc = "images per step", Min = 1, Max = 65536, Default = "128")]
    public int BatchSize { get; init; } = 128;
    [RecipeSetting(Doc = "pretraining optimizer", Default = "adamw(lr: 0.001, weight_decay: 0.05)")]
    public OptimizerOptions Optimizer { get; init; } = new AdamWOptions(LearningRate: 0.001, WeightDecay: 0.05);
    [RecipeSetting(Doc = "pretraining learning-rate schedule", Default = "cosine(warmup: 1)")]
    public LrScheduleOptions Schedule { get; init; } = new CosineLr(WarmupEpochs: 1);
    /// <summary>At most this many upstream images (0 = all of them).</summary>
    [RecipeSetting(Doc = "cap on upstream images (0 = all)", Min = 0, Default = "0")]
    public int MaxImages { get; init; }
    /// <summary>Seed of the pretraining run (initialisation and batch order), independent of the downstream seeds.</summary>
    [RecipeSetting(Doc = "seed of pretraining (initialisation, batch order); replicates share the pretrained teacher", Min = 0, Default = "0")]
    public int Seed { get; init; }
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off).</summary>
    [RecipeSetting(Doc = "clip the gradient's global L2 norm to this value during pretraining (0 = off); only rescales", Min = 0, Max = 1e6, Default = "0")]
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    [RecipeSetting(Doc = "no weight decay for 1-D parameters (norms, biases), position embeddings and class tokens", Default = "true")]
    public bool DecayExclusions { get; init; } = true;

    // Pretraining sees its upstream images as they are.
    IReadOnlyList<AugmentOptions> ITrainingStageOptions.Augment => [];
}

[RecipeSection("data", "The downstream task: source, classes, regime and held-out validation.", Order = 2)]
public sealed record DataOptions
{
    [RecipeSetting(Doc = "where the images come from", Default = "fashion_mnist")]
    public DataSourceOptions Source { get; init; } = new FashionMnistSource();
    /// <summary>Where the source reads from; empty = the source's own default location.</summary>
    [RecipeSetting(Doc = "where the source reads from (empty = the source's own default location); a relative path is relative to the project folder", Default = "\"\"")]
    public string Path { get; init; } = "";
    [RecipeSetting(Doc = "downstream classes, relabelled 0..C-1 in this order", Kind = RecipeArgKind.Classes)]
    public required IReadOnlyList<int> Classes { get; init; }
    [RecipeSetting(Doc = "which training images are labelled", Default = "full")]
    public RegimeOptions Regime { get; init; } = new FullRegime();
    /// <summary>Fraction of each class's selected images held out for validation (taken out of the labelled budget).</summary>
    [RecipeSetting("validation", Doc = "fraction of each class's selected images held out for validation (out of the labelled budget)", Kind = RecipeArgKind.Fraction, Max = 0.9, Default = "10%")]
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>
    /// Validation images per class drawn beside the regime's images rather than out of them, so the
    /// labelled budget stays whole (0 = none; needs <see cref="ValidationFraction"/> 0).
    /// </summary>
    [RecipeSetting(Doc = "validation images per class drawn beside the regime's images, so the labelled budget stays whole (needs `validation 0%`; 0 = none)", Min = 0, Default = "0")]
    public int ValidationPerClass { get; init; }
    /// <summary>At most this many test images (0 = the whole test split of the chosen classes).</summary>
    [RecipeSetting("test_images", Doc = "cap on test images, stratified (0 = all)", Min = 0, Default = "0")]
    public int MaxTestImages { get; init; }
    /// <summary>
    /// Images per downstream class set aside once, whatever the seed, as the pool replicates draw their
    /// labelled and validation images from; pretraining never sees them. 0 = no pool: pretraining sees
    /// every image the replicate did not draw (so overlapping classes give one teacher per replicate).
    /// </summary>
    /// <remarks>Declared before <see cref="Seed"/>, in the order recipes list the settings; settings.json writes it last, as it always has.</remarks>
    [RecipeSetting("reserve", Doc = "images per downstream class set aside once, whatever the seed, for the labelled and validation draws; pretraining never sees them, so one teacher serves every replicate (0 = no pool)", Min = 0, Default = "0")]
    [System.Text.Json.Serialization.JsonPropertyOrder(1)]
    public int ReservedPerClass { get; init; }
    [RecipeSetting(Doc = "seed of every data sampling decision", Min = 0, Default = "0")]
    public int Seed { get; init; }

    /// <summary>
    /// The splits these settings select, with the teacher's upstream images (<paramref name="upstream"/>'s
    /// classes, cap and seed) and <paramref name="transferPerClass"/> transfer images per class.
    /// </summary>
    public DataSplitSpec Splits(PretrainOptions upstream, int transferPerClass = 0)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return new DataSplitSpec
        {
            Classes = Classes,
            Regime = Regime,
            Seed = Seed,
            ValidationFraction = ValidationFraction,
            ValidationPerClass = ValidationPerClass,
            ReservedPerClass = ReservedPerClass,
            MaxTestImages = MaxTestImages,
            UpstreamClasses = upstream.Classes,
            UpstreamMaxImages = upstream.MaxImages,
            UpstreamSeed = upstream.Seed,
            TransferPerClass = transferPerClass,
        };
    }
}

[RecipeSection("finetune", "Fine-tuning the pretrained teacher on the downstream task (the ReMem stage).", Order = 3)]
public sealed record FinetuneOptions : ITrainingStageOptions
{
    [RecipeSetting(Doc = "MI objective", Default = "sam(rho: 0.05)")]
    public ObjectiveOptions Objective { get; init; } = new SamObjective(Rho: 0.05);
    [RecipeSetting(Doc = "MLP reweighting of the top blocks", Default = "none")]
    public ReweightOptions Reweight { get; init; } = new NoReweight();
    [RecipeSetting(Doc = "base optimizer", Default = "adamw(lr: 0.0005, weight_decay: 0.05)")]
    public OptimizerOptions Optimizer { get; init; } = new AdamWOptions(LearningRate: 0.0005, WeightDecay: 0.05);
    [RecipeSetting(Doc = "learning-rate schedule", Default = "cosine(warmup: 1)")]
    public LrScheduleOptions Schedule { get; init; } = new CosineLr(WarmupEpochs: 1);
    [RecipeSetting(Doc = "fine-tuning epochs", Min = 1, Max = 100000, Default = "10")]
    public int Epochs { get; init; } = 10;
    [RecipeSetting(Doc = "images per step", Min = 1, Max = 65536, Default = "32")]
    public int BatchSize { get; init; } = 32;
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off); with SAM, the gradient the base optimizer uses.</summary>
    [RecipeSetting(Doc = "clip the gradient's global L2 norm to this value during fine-tuning (0 = off); only rescales", Min = 0, Max = 1e6, Default = "0")]
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    [RecipeSetting(Doc = "no weight decay for 1-D parameters (norms, biases), position embeddings and class tokens", Default = "true")]
    public bool DecayExclusions { get; init; } = true;
    /// <summary>Batch augmentations in order (empty = none).</summary>
    [RecipeSetting(Doc = "augmentations of every fine-tuning batch, in order; seeded per step", Default = "[]")]
    public IReadOnlyList<AugmentOptions> Augment { get; init; } = [];
}

[RecipeSection("distill", "Distilling the fine-tuned teacher into the student.", Order = 4)]
public sealed record DistillOptions : ITrainingStageOptions
{
    [RecipeSetting(Doc = "student architecture", Default = "cnn_small")]
    public StudentOptions Student { get; init; } = new SmallCnnOptions(Width: 16);
    /// <summary>Where the student's starting weights come from (see ModelOptions.cs).</summary>
    [RecipeSetting(Doc = "where the student's starting weights come from", Choice = "student_weights", Default = "random")]
    public WeightsOptions StudentWeights { get; init; } = new RandomWeights();
    /// <summary>The image side the student sees (0 = the data's image size); teacher and student are resized from the same batch.</summary>
    [RecipeSetting("student_size", Doc = "image side the student sees, each batch resized to it from the same (augmented) images the teacher sees at its own size (0 = the data's image size)", Min = 0, Max = 1024, Default = "0")]
    public int StudentInputSize { get; init; }
    [RecipeSetting(Doc = "distillation loss", Default = "kd(temperature: 4, weight: 1)")]
    public DistillLossOptions Loss { get; init; } = new KdLossOptions(Temperature: 4, Weight: 1);
    [RecipeSetting(Doc = "student optimizer", Default = "adamw(lr: 0.002, weight_decay: 0.0005)")]
    public OptimizerOptions Optimizer { get; init; } = new AdamWOptions(LearningRate: 0.002, WeightDecay: 0.0005);
    [RecipeSetting(Doc = "learning-rate schedule", Default = "cosine(warmup: 1)")]
    public LrScheduleOptions Schedule { get; init; } = new CosineLr(WarmupEpochs: 1);
    [RecipeSetting(Doc = "distillation epochs", Min = 1, Max = 100000, Default = "20")]
    public int Epochs { get; init; } = 20;
    [RecipeSetting(Doc = "images per step", Min = 1, Max = 65536, Default = "32")]
    public int BatchSize { get; init; } = 32;
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off).</summary>
    [RecipeSetting(Doc = "clip the gradient's global L2 norm to this value during distillation (0 = off); only rescales", Min = 0, Max = 1e6, Default = "0")]
    public double ClipGrad { get; init; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    [RecipeSetting(Doc = "no weight decay for 1-D parameters (norms, biases), position embeddings and class tokens", Default = "true")]
    public bool DecayExclusions { get; init; } = true;
    /// <summary>Batch augmentations in order (empty = none).</summary>
    [RecipeSetting(Doc = "augmentations of every distillation batch, in order; seeded per step; teacher and student see the same augmented batch", Default = "[]")]
    public IReadOnlyList<AugmentOptions> Augment { get; init; } = [];
    /// <summary>
    /// Unlabeled images per downstream class the student also learns from, labelled by the teacher's
    /// predictions (the transfer set; 0 = none). Disjoint from every other split; unused by a loss without a teacher.
    /// </summary>
    [RecipeSetting(Doc = "unlabeled images per downstream class the student also learns from, labelled by the teacher (the transfer set; disjoint from every other split; 0 = none)", Min = 0, Default = "0")]
    public int Transfer { get; init; }
    /// <summary>The dtype of the frozen teacher's forward pass in distillation; the loss is float32 either way (see Training/Bf16Teacher.cs).</summary>
    [RecipeSetting("teacher_dtype", Doc = "dtype of the frozen teacher's forward pass: bfloat16 runs a bfloat16 copy of the teacher (for GPUs; its logits are within a few hundredths of float32's), the loss stays float32", Default = "float32")]
    public TeacherDType TeacherDType { get; init; } = TeacherDType.Float32;
    /// <summary>
    /// Teacher-output cache (docs/teacher-cache.md): augmentation views stored per training and
    /// transfer image, each with the teacher's outputs on it, filled once per teacher, data and
    /// augmentation; every epoch replays one stored view per image. 0 = off: the teacher runs every step.
    /// </summary>
    [RecipeSetting(Doc = "teacher-output cache: augmentation views stored per training and transfer image, with the teacher's outputs on each; every epoch replays one of them (0 = off: the teacher runs every step)", Min = 0, Max = 1024, Default = "0")]
    public int TeacherCacheViews { get; init; }
    /// <summary>The teacher's largest logits kept per view (0 = every class: exactly the live loss).</summary>
    [RecipeSetting(Doc = "teacher-output cache: the teacher's largest logits kept per view, the other classes sharing the probability mass they leave evenly (0 = every class: the cached loss equals the live one)", Min = 0, Max = 65536, Default = "0")]
    public int TeacherCacheTopK { get; init; }
    /// <summary>How the cached logits are stored.</summary>
    [RecipeSetting(Doc = "teacher-output cache: how the kept logits are stored", Default = "fp16")]
    public CacheValues TeacherCacheValues { get; init; } = CacheValues.Fp16;
}

/// <summary>The precision of the teacher-output cache's logits.</summary>
public enum CacheValues
{
    [RecipeName("fp16", "half precision, 2 bytes a logit (about 3 significant digits)")]
    Fp16,
    [RecipeName("fp32", "single precision, 4 bytes a logit: the cached loss matches the live one to float rounding")]
    Fp32,
}

[RecipeSection("evaluate", "Held-out test evaluation of teacher and student.", Order = 5)]
public sealed record EvaluateOptions
{
    [RecipeSetting(Doc = "metrics in the result table", Default = "[accuracy, balanced_accuracy]")]
    public IReadOnlyList<Metric> Metrics { get; init; } = [Metric.Accuracy, Metric.BalancedAccuracy];
    [RecipeSetting(Doc = "how teacher checkpoint and student are selected", Choice = "protocol", Default = "honest")]
    public SelectionProtocol Protocol { get; init; } = new HonestProtocol();
    /// <summary>The variant paired statistics compare every other variant with; empty = the first variant run.</summary>
    [RecipeSetting(Doc = "the variant paired statistics compare every other variant with (empty = the first variant)", Default = "\"\"")]
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

public enum Metric
{
    [RecipeName("accuracy", "top-1 accuracy")] Accuracy,
    [RecipeName("balanced_accuracy", "mean per-class recall (for imbalanced data)")] BalancedAccuracy,
}

public enum TeacherDType
{
    [RecipeName("float32", "The teacher's own float32 weights.")] Float32,
    [RecipeName("bfloat16", "A bfloat16 copy of the teacher; its logits are cast back to float32 for the loss.")] BFloat16,
}

public enum DeviceKind
{
    [RecipeName("cpu", "The CPU.")] Cpu,
    [RecipeName("cuda", "An NVIDIA GPU; needs a CUDA LibTorch backend (TorchSharp-cuda-linux or -windows in your project; here, build with -p:MiDistillTorchBackend=cuda).")] Cuda,
    [RecipeName("auto", "CUDA when the backend has it, else the CPU.")] Auto,
}

/// <summary>What changes from one replicate (one seed of <c>run.seed</c>) to the next.</summary>
public enum ReplicateVariation
{
    /// <summary>The i-th replicate uses its own seed for initialisation and batch order, and data seed + i for the images.</summary>
    [RecipeName("both", "Replicate i initialises and orders batches with seeds[i] and draws its images with data seed + i.")]
    Both,
    /// <summary>Only initialisation and batch order: every replicate trains on the same images (data seed as given).</summary>
    [RecipeName("training", "Only initialisation and batch order: every replicate trains on the same images.")]
    Training,
    /// <summary>Only the images (data seed + i): every replicate initialises and orders batches with the first seed.</summary>
    [RecipeName("data", "Only the images (data seed + i): every replicate initialises and orders batches with the first seed.")]
    Data,
}

[RecipeSection("run", "How the experiment executes.", Order = 6)]
public sealed record RunOptions
{
    [RecipeSetting(Doc = "where tensors live", PerProcess = true, Default = "auto")]
    public DeviceKind Device { get; init; } = DeviceKind.Auto;
    /// <summary>Intra-op threads; 0 = the cores other processes leave free, kept matched to the load (<see cref="Training.ThreadGovernor"/>).</summary>
    [RecipeSetting(Doc = "CPU threads (0 = the cores other processes leave free, checked again every few seconds while training; a fixed count keeps every run on the same threads)", Min = 0, Max = 1024, PerProcess = true, Default = "0")]
    public int Threads { get; init; }
    /// <summary>Background threads reading and decoding batches ahead of training; 0 = the cores the training threads leave (at least 1).</summary>
    [RecipeSetting(Doc = "background threads reading and decoding batches ahead of training, at most twice as many batches in flight (0 = the cores the training threads leave, at least 1); the batches are the same whatever the count", Min = 0, Max = 256, PerProcess = true, Default = "0")]
    public int Workers { get; init; }
    /// <summary>One replicate per seed: the table reports mean and standard deviation over them.</summary>
    [RecipeSetting("seed", Doc = "seed of initialisation and batch order; a list runs one replicate per seed (the i-th also uses data seed + i, see `vary`) and reports mean and standard deviation", Min = 0, Default = "0")]
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    /// <summary>The seed of this replicate (the first when several are listed); it names the replicate.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Seed => Seeds[0];
    /// <summary>What a replicate varies: the training randomness, the downstream data draw, or both.</summary>
    [RecipeSetting(Doc = "what a replicate varies: the training randomness, the downstream data draw, or both", Default = "both")]
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
    [RecipeSetting("checkpoint_every", Doc = "also checkpoint after every N-th step of a stage (0 = at epoch ends only)", Min = 0, Default = "0")]
    public int CheckpointEverySteps { get; init; }
    /// <summary>Root of run folders (runs/&lt;recipe&gt;/...).</summary>
    [RecipeSetting("output", Doc = "root of run folders", PerProcess = true, Default = "\"runs\"")]
    public string OutputDirectory { get; init; } = "runs";
    /// <summary>Where pretrained teachers are cached, keyed by teacher and pretraining settings.</summary>
    [RecipeSetting("cache", Doc = "pretrained-teacher cache", PerProcess = true, Default = "\".cache/midistill\"")]
    public string CacheDirectory { get; init; } = ".cache/midistill";
}
