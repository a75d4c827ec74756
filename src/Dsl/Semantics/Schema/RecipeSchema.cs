using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Dsl.Semantics.Schema;

/// <summary>
/// The single source of truth for recipe settings: name, type, default, range, documentation and
/// the runtime option record each maps to. The binder checks recipes against it, the emitter reads
/// the C# names from it, and docs/language.md's reference tables are rendered from it (a test keeps
/// them in sync). Chosen over attributes on the runtime records because the generator then needs
/// nothing from the user's compilation, and the table can be read in one place.
/// </summary>
public static class RecipeSchema
{
    private const string O = "global::MiDistill.Runtime.Options.";

    public const int FashionMnistClasses = 10;
    /// <summary>Fashion-MNIST's training split holds exactly 6,000 images of every class.</summary>
    public const int FashionMnistTrainPerClass = 6000;

    private static Argument Int(string name, string? @default, long min, long max, string clr, string doc) =>
        new(name, new IntType(min, max), @default, clr, doc);

    private static Argument Float(string name, string? @default, FloatType type, string clr, string doc) =>
        new(name, type, @default, clr, doc);

    private static readonly FloatType Positive = new(0, double.PositiveInfinity, MinExclusive: true);
    private static readonly FloatType UnitInterval = new(0, 1);
    private static readonly FloatType LearningRate = new(0, 10, MinExclusive: true);

    public static readonly ChoiceType Optimizer = new("optimizer", new[]
    {
        new Form("sgd", "SGD with momentum.", O + "SgdOptions", new[]
        {
            Float("lr", "0.01", LearningRate, "LearningRate", "base learning rate"),
            Float("momentum", "0.9", new FloatType(0, 1, MaxExclusive: true), "Momentum", "momentum factor"),
            Float("weight_decay", "0", new FloatType(0, 1), "WeightDecay", "L2 weight decay"),
            new Argument("nesterov", new BoolType(), "false", "Nesterov", "Nesterov momentum"),
        }),
        new Form("adamw", "AdamW (decoupled weight decay).", O + "AdamWOptions", new[]
        {
            Float("lr", "0.001", LearningRate, "LearningRate", "base learning rate"),
            Float("beta1", "0.9", new FloatType(0, 1, MaxExclusive: true), "Beta1", "first-moment decay"),
            Float("beta2", "0.999", new FloatType(0, 1, MaxExclusive: true), "Beta2", "second-moment decay"),
            Float("weight_decay", "0.05", new FloatType(0, 1), "WeightDecay", "decoupled weight decay"),
        }),
    });

    public static readonly ChoiceType LrSchedule = new("schedule", new[]
    {
        new Form("constant", "The base learning rate throughout.", O + "ConstantLr", new Argument[0]),
        new Form("cosine", "Linear warmup, then cosine decay to min_lr x the base rate.", O + "CosineLr", new[]
        {
            Float("warmup", "1", new FloatType(0, 1000), "WarmupEpochs", "warmup length in epochs (fractions allowed)"),
            new Argument("min_lr", new FractionType(1), "0", "MinLrFactor", "final rate as a fraction of the base rate"),
        }),
        new Form("step", "The rate times gamma every `every` epochs (counted from the first step), after an optional linear warmup.", O + "StepLr", new[]
        {
            Int("every", "10", 1, 100000, "EveryEpochs", "epochs between decays"),
            Float("gamma", "0.1", new FloatType(0, 1, MinExclusive: true), "Gamma", "factor applied at each decay"),
            Float("warmup", "0", new FloatType(0, 1000), "WarmupEpochs", "warmup length in epochs (fractions allowed)"),
        }),
    });

    private static Argument ClipGrad(string stage) =>
        Float("clip_grad", "0", new FloatType(0, 1e6), "ClipGrad", $"clip the gradient's global L2 norm to this value during {stage} (0 = off); only rescales");

    private static readonly Argument DecayExclusions =
        new("decay_exclusions", new BoolType(), "true", "DecayExclusions", "no weight decay for 1-D parameters (norms, biases), position embeddings and class tokens");

    public static readonly ChoiceType Augmentation = new("augmentation", new[]
    {
        new Form("crop", "Pad each image with black and crop it back to its size at a random offset.", O + "CropAugment", new[]
        {
            Int("padding", "4", 0, 256, "Padding", "pixels of padding on every side"),
        }),
        new Form("flip", "Mirror each image left-right with probability 1/2.", O + "FlipAugment", new Argument[0]),
        new Form("mixup", "With probability `prob` per batch, blend the batch with a shuffled copy of itself: x = lam x + (1 - lam) x[perm], labels alike, lam ~ Beta(alpha, alpha).", O + "MixupAugment", new[]
        {
            Float("alpha", "1", Positive, "Alpha", "Beta distribution parameter"),
            Float("prob", "1", UnitInterval, "Probability", "probability that a batch is mixed"),
        }),
    });

    private static Argument Augment(string stage) =>
        new("augment", new FormListType(Augmentation, O + "AugmentOptions"), "[]", "Augment",
            $"augmentations of every {stage} batch, in order; seeded per step" + (stage == "distillation" ? "; teacher and student see the same augmented batch" : ""));

    private static readonly Argument ClassesRequired =
        new("classes", new ClassListType(0, MaxClassIndex), null, "Classes", "class indices (Fashion-MNIST: 0..9; an image folder: 0..C-1 in folder-name order)");

    /// <summary>Image folders may hold many classes; a source with a known class count is checked against it.</summary>
    public const int MaxClassIndex = 9999;

    public static readonly ChoiceType TeacherModel = new("model", new[]
    {
        new Form("vit", "A Vision Transformer (timm layout) by preset, with any dimension overridden.", O + "VitOptions", new[]
        {
            new Argument("preset", new ChoiceType("preset", VitPresets.All.Select(p => new Form(p.Name, p.Doc, "", new Argument[0])).ToList(), ChoiceEmission.Name),
                "tiny_28", "Name", "preset the dimensions start from"),
            new Argument("image_size", new IntType(8, 1024), null, "ImageSize", "input side in pixels (images are resized to it)", "preset"),
            new Argument("patch", new IntType(1, 64), null, "PatchSize", "patch side in pixels; must divide image_size", "preset"),
            new Argument("channels", new IntType(1, 3), null, "InChannels", "input channels of the patch embedding", "preset"),
            new Argument("dim", new IntType(8, 4096), null, "EmbedDim", "embedding width; a multiple of heads", "preset"),
            new Argument("depth", new IntType(1, 48), null, "Depth", "number of transformer blocks", "preset"),
            new Argument("heads", new IntType(1, 64), null, "Heads", "attention heads", "preset"),
            new Argument("mlp_ratio", new FloatType(0.25, 16), null, "MlpRatio", "MLP hidden width / dim", "preset"),
        }, Positional: false),
    });

    public static readonly ChoiceType Pretrain = new("pretrain", new[]
    {
        new Form("upstream", "Supervised pretraining on an upstream split of the training images, cached on disk and reused by every run with the same teacher and pretraining settings.", O + "PretrainOptions", new[]
        {
            ClassesRequired with { Doc = "upstream classes; images used downstream are never used here" },
            Int("epochs", "3", 1, 1000, "Epochs", "pretraining epochs"),
            Int("batch_size", "128", 1, 65536, "BatchSize", "images per step"),
            new Argument("optimizer", Optimizer, "adamw(lr: 0.001, weight_decay: 0.05)", "Optimizer", "pretraining optimizer"),
            new Argument("schedule", LrSchedule, "cosine(warmup: 1)", "Schedule", "pretraining learning-rate schedule"),
            Int("max_images", "0", 0, int.MaxValue, "MaxImages", "cap on upstream images (0 = all)"),
            Int("seed", "0", 0, int.MaxValue, "Seed", "seed of pretraining (initialisation, batch order); replicates share the pretrained teacher"),
            ClipGrad("pretraining"),
            DecayExclusions,
        }, Positional: false),
    });

    public static readonly ChoiceType Normalization = new("normalize", new[]
    {
        new Form("dataset", "The dataset's own statistics (Fashion-MNIST: mean 0.2860, std 0.3530), as for models trained here.", "Dataset", new Argument[0]),
        new Form("imagenet", "mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225): torchvision models and timm CNNs.", "ImageNet", new Argument[0]),
        new Form("inception", "mean 0.5, std 0.5 per channel: timm's ViT checkpoints (augreg and most others).", "Inception", new Argument[0]),
    }, ChoiceEmission.Enum, O + "Normalization");

    private static Form CheckpointForm(string normalizeDefault) =>
        new("checkpoint", "Weights from a state dict file (.safetensors, or a torch.save .pth/.bin) with the architecture's PyTorch parameter names; the classifier head is replaced when the class count differs. Relative paths resolve against the run's working directory.", O + "CheckpointWeights", new[]
        {
            new Argument("path", new StringType(), null, "Path", "the checkpoint file"),
            new Argument("normalize", Normalization, normalizeDefault, "Normalize", "input normalisation the checkpoint was trained with"),
        });

    public static readonly ChoiceType TeacherWeights = new("weights", new[]
    {
        new Form("pretrain", "The weights the `pretrain` stage produces (and caches).", O + "PretrainStageWeights", new Argument[0]),
        CheckpointForm("inception"),
    });

    public static readonly ChoiceType StudentWeights = new("weights", new[]
    {
        new Form("random", "A fresh random initialisation.", O + "RandomWeights", new Argument[0]),
        CheckpointForm("dataset"),
    });

    private static readonly ChoiceType Stem = new("stem", new[]
    {
        new Form("small", "3x3 stride-1 first convolution, no early pooling; input channels follow the data (28x28 grayscale).", "Small", new Argument[0]),
        new Form("imagenet", "The architecture's ImageNet stem on 3 channels (grayscale is repeated), so ImageNet checkpoints load.", "ImageNet", new Argument[0]),
    }, ChoiceEmission.Enum, O + "StemKind");

    public static readonly ChoiceType Regime = new("regime", new[]
    {
        new Form("full", "All training images of the chosen classes.", O + "FullRegime", new Argument[0]),
        new Form("few_shot", "k labelled images per class.", O + "FewShotRegime", new[]
        {
            Int("per_class", null, 1, int.MaxValue, "PerClass", "images per class (k), validation included"),
        }),
        new Form("long_tail", "n_c = max_per_class * ratio^(-c/(C-1)) images of the c-th class.", O + "LongTailRegime", new[]
        {
            Float("ratio", "10", new FloatType(1, 10000), "ImbalanceRatio", "largest / smallest class size"),
            Int("max_per_class", "0", 0, int.MaxValue, "MaxPerClass", "size of the largest class (0 = all available)"),
        }),
    });

    public static readonly ChoiceType Objective = new("objective", new[]
    {
        new Form("cross_entropy", "Plain cross-entropy with the base optimizer (vanilla fine-tuning).", O + "CrossEntropyObjective", new Argument[0]),
        new Form("sam", "Cross-entropy with sharpness-aware minimisation around the base optimizer (MI-aware).", O + "SamObjective", new[]
        {
            Float("rho", "0.05", Positive, "Rho", "neighbourhood radius; the method uses 0.05-0.5"),
        }),
        new Form("asam", "Cross-entropy with adaptive SAM (Kwon et al. 2021): the climb is rho T^2 g / ||T g||, T = |w| + eta for weights, 1 for biases and norms.", O + "AsamObjective", new[]
        {
            Float("rho", "1", Positive, "Rho", "neighbourhood radius, relative to the weights; about 10x SAM's (0.5-2.0)"),
            Float("eta", "0.01", new FloatType(0, 10), "Eta", "added to |w| so that zero weights still move"),
        }),
    });

    public static readonly ChoiceType ReweightSchedule = new("schedule", new[]
    {
        new Form("constant", "alpha from the first epoch.", O + "ConstantReweightSchedule", new Argument[0]),
        new Form("ramp", "alpha moves linearly from 1 to its target over the first epochs.", O + "RampReweightSchedule", new[]
        {
            Int("epochs", "5", 1, 10000, "Epochs", "ramp length in epochs"),
        }),
    });

    public static readonly ChoiceType Reweight = new("reweight", new[]
    {
        new Form("none", "Every MLP branch keeps weight 1.", O + "NoReweight", new Argument[0]),
        new Form("mlp", "Scale the MLP branch of the top blocks by alpha (h = h + alpha * MLP(LN(h))).", O + "MlpReweight", new[]
        {
            Int("top", "1", 1, 48, "Top", "number of top blocks reweighted; at most the teacher's depth"),
            Float("alpha", "0.5", UnitInterval, "Alpha", "MLP branch weight of those blocks"),
            new Argument("schedule", ReweightSchedule, "constant", "Schedule", "how alpha is reached"),
        }),
        new Form("mlp_blocks", "One MLP branch weight per block, bottom block first: h = h + alphas[l] * MLP(LN(h)).", O + "MlpBlocksReweight", new[]
        {
            new Argument("alphas", new NumberListType(UnitInterval), null, "Alphas", "one weight per block, bottom first; as many as the teacher's depth"),
            new Argument("schedule", ReweightSchedule, "constant", "Schedule", "how each alpha is reached"),
        }),
    });

    public static readonly ChoiceType Student = new("student", new[]
    {
        new Form("cnn_small", "A small CNN: three conv-bn-relu stages of width w, 2w, 4w, global pooling, linear head.", O + "SmallCnnOptions", new[]
        {
            Int("width", "16", 4, 256, "Width", "channels of the first stage"),
        }),
        new Form("resnet18", "ResNet-18 (torchvision names): BasicBlock stages [2, 2, 2, 2] of width w, 2w, 4w, 8w.", O + "ResNetOptions", new[]
        {
            Int("width", "16", 4, 256, "Width", "channels of layer1 (torchvision's ResNet-18: 64)"),
            new Argument("stem", Stem, "small", "Stem", "input stem"),
        }),
        new Form("mobilenet_v2", "MobileNetV2 (torchvision names) with a width multiplier.", O + "MobileNetV2Options", new[]
        {
            Float("width", "0.5", new FloatType(0.1, 4), "WidthMultiplier", "width multiplier (torchvision's MobileNetV2: 1.0)"),
            new Argument("stem", Stem, "small", "Stem", "input stem"),
        }),
        new Form("efficientnetv2_b0", "EfficientNetV2-B0 (timm names): FusedMBConv then MBConv stages with squeeze-excitation, SiLU, with a channel multiplier.", O + "EfficientNetV2Options", new[]
        {
            Float("width", "0.5", new FloatType(0.1, 4), "WidthMultiplier", "channel multiplier (timm's EfficientNetV2-B0: 1.0)"),
            new Argument("stem", Stem, "small", "Stem", "input stem"),
        }),
    });

    public static readonly ChoiceType DistillLoss = new("loss", new[]
    {
        new Form("kd", "Hinton KD: (1-weight) CE(y, s) + weight T^2 KL(softmax(t/T) || softmax(s/T)).", O + "KdLossOptions", new[]
        {
            Float("temperature", "4", new FloatType(0, 100, MinExclusive: true), "Temperature", "softening temperature T"),
            Float("weight", "1", UnitInterval, "Weight", "weight of the distillation term (1 = pure distillation)"),
        }),
        new Form("dist", "DIST (Huang et al. 2022): (1-weight) CE(y, s) + weight T^2 (inter (1 - Pearson across classes, per sample) + intra (1 - Pearson across the batch, per class)) of softmax(logits/T).", O + "DistLossOptions", new[]
        {
            Float("inter", "1", new FloatType(0, 100), "Inter", "weight of the inter-class relation (per sample)"),
            Float("intra", "1", new FloatType(0, 100), "Intra", "weight of the intra-class relation (per class, across the batch)"),
            Float("temperature", "1", new FloatType(0, 100, MinExclusive: true), "Temperature", "softening temperature T"),
            Float("weight", "1", UnitInterval, "Weight", "weight of the distillation term (1 = pure distillation)"),
        }),
        new Form("labels_only", "No teacher: the student trains on labels alone (the baseline).", O + "LabelsOnlyLossOptions", new Argument[0]),
    });

    public static readonly ChoiceType Protocol = new("protocol", new[]
    {
        new Form("honest", "Teacher epoch and student epoch chosen on the validation split; the test split is read once, at the end.", O + "HonestProtocol", new Argument[0]),
        new Form("paper", "The paper's protocol: keep the teacher after each listed epoch, distil a student from each, report the best on the test split (optimistic).", O + "PaperProtocol", new[]
        {
            new Argument("checkpoints", new IntListType(1, 100000), null, "Checkpoints", "fine-tuning epochs after which the teacher is kept"),
        }),
    });

    public static readonly ChoiceType KernelWidth = new("kernel", new[]
    {
        new Form("median", "sigma = scale x the median pairwise distance of the probe samples (invariant to a common feature scale).", O + "MedianKernelWidth", new[]
        {
            Float("scale", "1", Positive, "Scale", "multiple of the median distance"),
        }),
        new Form("fixed", "A fixed sigma in the units of the features (pixels are standardised; token features are not).", O + "FixedKernelWidth", new[]
        {
            Float("sigma", "1", Positive, "Sigma", "kernel width"),
        }),
    });

    private static readonly Form RenyiForm = new("renyi", "Matrix-based Renyi alpha-entropy MI on Gaussian Gram matrices of the probe samples (n^3 eigenvalues; the default).", O + "RenyiEstimatorOptions", new[]
    {
        Float("alpha", "1.01", new FloatType(0, 10, MinExclusive: true), "Alpha", "entropy order; 1 itself is the Shannon limit and not allowed"),
        new Argument("kernel", KernelWidth, "median", "Kernel", "Gaussian kernel width rule"),
    });

    private static readonly Form KsgForm = new("ksg", "Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI on the top principal components of each side.", O + "KsgEstimatorOptions", new[]
    {
        Int("k", "5", 1, 100, "Neighbours", "neighbours per sample"),
        Int("dims", "4", 1, 64, "Dims", "principal components kept of each side (KSG is biased in high dimension)"),
    });

    public static readonly ChoiceType Estimator = new("estimator", new[] { RenyiForm, KsgForm });

    public static readonly ChoiceType CrossCheck = new("cross_check", new[]
    {
        new Form("none", "No second estimator.", O + "NoMiEstimator", new Argument[0]),
        KsgForm,
        RenyiForm,
    });

    public static readonly IReadOnlyList<Section> Sections = new[]
    {
        new Section("teacher", "The teacher ViT and where its pretrained weights come from.", O + "TeacherOptions", "Teacher", new[]
        {
            new Argument("model", TeacherModel, "vit(preset: tiny_28)", "Model", "teacher architecture"),
            new Argument("pretrain", Pretrain, null, "Pretrain", "pretraining stage on the upstream split", "required unless `weights` is a checkpoint"),
            new Argument("weights", TeacherWeights, "pretrain", "Weights", "where the teacher's starting weights come from; a checkpoint skips pretraining"),
        }),
        new Section("data", "The downstream task: source, classes, regime and held-out validation.", O + "DataOptions", "Data", new[]
        {
            new Argument("source", new ChoiceType("source", new[]
            {
                new Form("fashion_mnist", "Fashion-MNIST IDX files (60k train, 10k test, 28x28 grayscale, 10 classes).", "", new Argument[0]),
                new Form("image_folder", "PNG or JPEG images in `path/train/<class>/` and `path/test/<class>/`; classes are the folder names in ordinal order (class 0 first).", "", new Argument[0]),
            }, ChoiceEmission.Name),
                "fashion_mnist", "Source", "dataset"),
            new Argument("path", new StringType(), "\"/usr/share/datasets/fashion-mnist\"", "Path", "folder of the IDX files (Debian's dataset-fashion-mnist puts them here), or of `train/` and `test/` for `image_folder`"),
            Int("image_size", "28", 4, 1024, "ImageSize", "`image_folder`: side the images are resized to when loaded (the teacher resizes again to its own size)"),
            new Argument("color", new ChoiceType("color", new[]
            {
                new Form("grayscale", "One channel.", "Grayscale", new Argument[0]),
                new Form("rgb", "Three channels.", "Rgb", new Argument[0]),
            }, ChoiceEmission.Enum, O + "ColorMode"), "grayscale", "Color", "`image_folder`: channels the images are decoded to"),
            ClassesRequired with { Doc = "downstream classes, relabelled 0..C-1 in this order" },
            new Argument("regime", Regime, "full", "Regime", "which training images are labelled"),
            new Argument("validation", new FractionType(0.9), "10%", "ValidationFraction", "fraction of each class's selected images held out for validation"),
            Int("test_images", "0", 0, int.MaxValue, "MaxTestImages", "cap on test images, stratified (0 = all)"),
            Int("seed", "0", 0, int.MaxValue, "Seed", "seed of every data sampling decision"),
        }),
        new Section("finetune", "Fine-tuning the pretrained teacher on the downstream task (the ReMem stage).", O + "FinetuneOptions", "Finetune", new[]
        {
            new Argument("objective", Objective, "sam(rho: 0.05)", "Objective", "MI objective"),
            new Argument("reweight", Reweight, "none", "Reweight", "MLP reweighting of the top blocks"),
            new Argument("optimizer", Optimizer, "adamw(lr: 0.0005, weight_decay: 0.05)", "Optimizer", "base optimizer"),
            new Argument("schedule", LrSchedule, "cosine(warmup: 1)", "Schedule", "learning-rate schedule"),
            Int("epochs", "10", 1, 100000, "Epochs", "fine-tuning epochs"),
            Int("batch_size", "32", 1, 65536, "BatchSize", "images per step"),
            ClipGrad("fine-tuning"),
            DecayExclusions,
            Augment("fine-tuning"),
        }),
        new Section("distill", "Distilling the fine-tuned teacher into the student.", O + "DistillOptions", "Distill", new[]
        {
            new Argument("student", Student, "cnn_small", "Student", "student architecture"),
            new Argument("student_weights", StudentWeights, "random", "StudentWeights", "where the student's starting weights come from"),
            new Argument("loss", DistillLoss, "kd(temperature: 4, weight: 1)", "Loss", "distillation loss"),
            new Argument("optimizer", Optimizer, "adamw(lr: 0.002, weight_decay: 0.0005)", "Optimizer", "student optimizer"),
            new Argument("schedule", LrSchedule, "cosine(warmup: 1)", "Schedule", "learning-rate schedule"),
            Int("epochs", "20", 1, 100000, "Epochs", "distillation epochs"),
            Int("batch_size", "32", 1, 65536, "BatchSize", "images per step"),
            ClipGrad("distillation"),
            DecayExclusions,
            Augment("distillation"),
        }),
        new Section("evaluate", "Held-out test evaluation of teacher and student.", O + "EvaluateOptions", "Evaluate", new[]
        {
            new Argument("metrics", new NameListType(O + "Metric", new[]
            {
                new NameMember("accuracy", "Accuracy", "top-1 accuracy"),
                new NameMember("balanced_accuracy", "BalancedAccuracy", "mean per-class recall (for imbalanced data)"),
            }), "[accuracy, balanced_accuracy]", "Metrics", "metrics in the result table"),
            new Argument("protocol", Protocol, "honest", "Protocol", "how teacher checkpoint and student are selected"),
        }),
        new Section("run", "How the experiment executes.", O + "RunOptions", "Run", new[]
        {
            new Argument("device", new ChoiceType("device", new[]
            {
                new Form("cpu", "The CPU.", "Cpu", new Argument[0]),
                new Form("cuda", "An NVIDIA GPU; needs the CUDA LibTorch backend (build with -p:MiDistillTorchBackend=cuda).", "Cuda", new Argument[0]),
                new Form("auto", "CUDA when the backend has it, else the CPU.", "Auto", new Argument[0]),
            }, ChoiceEmission.Enum, O + "DeviceKind"), "auto", "Device", "where tensors live"),
            Int("threads", "0", 0, 1024, "Threads", "CPU threads (0 = all cores)"),
            new Argument("seed", new IntListType(0, int.MaxValue), "0", "Seeds", "seed of initialisation and batch order; a list runs one replicate per seed (the i-th also uses data seed + i) and reports mean and standard deviation"),
            Int("checkpoint_every", "0", 0, int.MaxValue, "CheckpointEverySteps", "also checkpoint after every N-th step of a stage (0 = at epoch ends only)"),
            new Argument("output", new StringType(), "\"runs\"", "OutputDirectory", "root of run folders"),
            new Argument("cache", new StringType(), "\".cache/midistill\"", "CacheDirectory", "pretrained-teacher cache"),
        }),
        new Section("analyze", "Mutual-information diagnostics of the teacher (docs/information.md). Every analysis is off unless turned on.", O + "AnalyzeOptions", "Analyze", new[]
        {
            new Argument("mi_per_block", new BoolType(), "false", "MiPerBlock", "I(X; H) after every attention and MLP sub-block, before and after fine-tuning"),
            new Argument("bottleneck", new BoolType(), "false", "Bottleneck", "remove the top-k MLP vs attention sub-blocks (k = 0..depth): MI of F_T and probe accuracy"),
            new Argument("sparsity", new BoolType(), "false", "Sparsity", "fraction of MLP hidden units active (GELU input > 0) per block"),
            new Argument("information_plane", new BoolType(), "false", "InformationPlane", "teacher test error against I(X; F_T): a point per variant and seed, and per kept epoch under `protocol paper`"),
            new Argument("estimator", Estimator, "renyi", "Estimator", "MI estimator of every analysis"),
            new Argument("cross_check", CrossCheck, "none", "CrossCheck", "a second estimator reported beside the first"),
            Int("probe", "500", 2, 10000, "ProbeImages", "probe images (a fixed, class-stratified draw; fewer if the split is smaller)"),
            new Argument("probe_split", new ChoiceType("probe_split", new[]
            {
                new Form("test", "The downstream test split.", "Test", new Argument[0]),
                new Form("validation", "The held-out validation split (small in few-shot regimes).", "Validation", new Argument[0]),
            }, ChoiceEmission.Enum, O + "ProbeSplit"), "test", "ProbeSplit", "where probe images come from; never the fine-tuning images"),
            new Argument("token", new ChoiceType("token", new[]
            {
                new Form("cls", "The CLS token: the path to F_T, which is the normed CLS token.", "Cls", new Argument[0]),
                new Form("mean", "The mean over all tokens.", "Mean", new Argument[0]),
            }, ChoiceEmission.Enum, O + "ProbeToken"), "cls", "Token", "which token represents a sub-block's output H"),
        }),
    };

    public const string VariantsKeyword = "variants";

    public static Section? FindSection(string name) => Sections.FirstOrDefault(s => s.Name == name);
}
