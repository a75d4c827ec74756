using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Model;

namespace MiDistill.Dsl.Semantics.Schema;

/// <summary>
/// What recipes can say: the sections and their settings (the language's own skeleton, defined
/// here), and the forms a choice setting takes (students, losses, optimizers, data sources, ...),
/// which come from the runtime's and the user's own records through a <see cref="FormCatalog"/>.
/// The binder checks recipes against it, the emitter reads the C# names from it, and
/// docs/language.md's reference tables are rendered from it (a test keeps them in sync).
/// </summary>
public sealed class RecipeSchema
{
    private const string O = "global::MiDistill.Runtime.Options.";

    /// <summary>Image folders may hold many classes; a source with a known class count is checked against it.</summary>
    public const int MaxClassIndex = 9999;

    public const string VariantsKeyword = "variants";
    public const string SweepKeyword = "sweep";

    private readonly Dictionary<string, ChoiceType> _choices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EnumDecl> _enums;
    private readonly Dictionary<string, string> _choiceTypes;
    private readonly Dictionary<string, List<FormDecl>> _forms;
    private readonly List<CatalogProblem> _problems = new();

    public IReadOnlyList<Section> Sections { get; }

    /// <summary>Declarations that cannot be used as written (an invalid default, a duplicate name), by C# type.</summary>
    public IReadOnlyList<CatalogProblem> Problems => _problems;

    public Section? FindSection(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>The forms of a declared choice, e.g. <c>student</c>.</summary>
    public ChoiceType Choice(string id) =>
        _choices.TryGetValue(id, out var existing) ? existing : BuildChoice(id);

    /// <summary>The declared forms of a choice the runtime may declare none of (the teacher model: its `vit` is defined here).</summary>
    private IReadOnlyList<Form> DeclaredForms(string id) =>
        _forms.ContainsKey(id) ? Choice(id).Forms : Array.Empty<Form>();

    public static RecipeSchema Create(FormCatalog catalog) => new(catalog);

    private RecipeSchema(FormCatalog catalog)
    {
        _enums = catalog.Enums.GroupBy(e => e.ClrType).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _choiceTypes = catalog.Choices.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First().ClrType, StringComparer.Ordinal);
        _forms = _choiceTypes.Keys.ToDictionary(id => id, _ => new List<FormDecl>(), StringComparer.Ordinal);
        foreach (var form in catalog.Forms)
        {
            if (!_forms.TryGetValue(form.Choice, out var list))
                _forms[form.Choice] = list = new List<FormDecl>();
            if (!IsRecipeName(form.Name))
                _problems.Add(new CatalogProblem(form.ClrType, $"`{form.Name}` is not a recipe name; use lower-case letters, digits and `_`, starting with a letter"));
            else if (list.FirstOrDefault(f => f.Name == form.Name) is { } first)
                _problems.Add(new CatalogProblem(form.ClrType, $"the {form.Choice} form `{form.Name}` is already declared by {first.ClrType.Replace("global::", "")}; give this one another name"));
            else
                list.Add(form);
        }
        Sections = BuildSections();
        foreach (var forms in _forms.Values) foreach (var form in forms) CheckDefaults(form);
    }

    private static bool IsRecipeName(string name) =>
        name.Length > 0 && name[0] >= 'a' && name[0] <= 'z' && name.All(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');

    // Forms are listed by name, so built-in and user forms mix in one predictable order.
    private ChoiceType BuildChoice(string id)
    {
        if (!_forms.TryGetValue(id, out var decls))
            throw new InvalidOperationException($"the runtime declares no recipe choice `{id}`; the MiDistill generator and runtime versions do not match");
        var forms = new List<Form>();
        var choice = new ChoiceType(id, forms);
        _choices[id] = choice;  // before the forms: an argument may refer back to its own choice
        forms.AddRange(decls.OrderBy(f => f.Name, StringComparer.Ordinal).Select(ToForm));
        return choice;
    }

    private Form ToForm(FormDecl decl) =>
        new Form(decl.Name, decl.Doc, decl.ClrType, decl.Arguments.Select(ToArgument).ToList()) { Facts = decl.Facts };

    private Argument ToArgument(ArgDecl a) => new(a.Name, TypeOf(a), a.Default, a.ClrName, a.Doc);

    private SettingType TypeOf(ArgDecl a)
    {
        double Or(double v, double fallback) => double.IsNaN(v) ? fallback : v;
        switch (a.Kind)
        {
            case ArgKind.Int: return new IntType((long)Or(a.Min, int.MinValue), (long)Or(a.Max, int.MaxValue));
            case ArgKind.Float: return new FloatType(Or(a.Min, double.NegativeInfinity), Or(a.Max, double.PositiveInfinity), a.MinExclusive, a.MaxExclusive);
            case ArgKind.Fraction: return new FractionType(Or(a.Max, 1));
            case ArgKind.Bool: return new BoolType();
            case ArgKind.String: return new StringType();
            case ArgKind.Enum: return EnumChoice(a.Ref);
            case ArgKind.Form: return Choice(a.Ref);
            case ArgKind.IntList: return new IntListType((long)Or(a.Min, int.MinValue), (long)Or(a.Max, int.MaxValue));
            case ArgKind.ClassList: return new ClassListType((int)Or(a.Min, 0), (int)Or(a.Max, MaxClassIndex));
            case ArgKind.NumberList: return new NumberListType(new FloatType(Or(a.Min, double.NegativeInfinity), Or(a.Max, double.PositiveInfinity), a.MinExclusive, a.MaxExclusive));
            case ArgKind.FormList: return new FormListType(Choice(a.Ref), ClrTypeOfChoice(a.Ref));
            case ArgKind.EnumList:
                var members = Enum(a.Ref).Members;
                return new NameListType(a.Ref, members.Select(m => new NameMember(m.Name, m.ClrMember, m.Doc)).ToList());
            default: throw new InvalidOperationException($"argument kind {a.Kind} of `{a.Name}` is not known to this compiler");
        }
    }

    private string ClrTypeOfChoice(string id) =>
        _choiceTypes.TryGetValue(id, out var clr) ? clr : throw new InvalidOperationException($"the runtime declares no recipe choice `{id}`");

    private EnumDecl Enum(string clrType) =>
        _enums.TryGetValue(clrType, out var e) ? e : throw new InvalidOperationException($"enum {clrType} has no recipe declaration");

    private ChoiceType EnumChoice(string clrType) =>
        new(clrType, Enum(clrType).Members.Select(m => new Form(m.Name, m.Doc, m.ClrMember, Array.Empty<Argument>())).ToList(), ChoiceEmission.Enum, clrType);

    // A default is recipe text, written in C# where no compiler checks it: bind each one once, and
    // report one that does not fit at its record instead of failing every recipe that uses the form.
    private void CheckDefaults(FormDecl decl)
    {
        var form = Choice(decl.Choice).Find(decl.Name);
        if (form is null) return;
        foreach (var argument in form.Arguments.Where(a => a.Default is not null))
        {
            var why = ValueBinder.CheckDefault(argument.Default!, argument.Type, decl.Name + "." + argument.Name);
            if (why is not null)
                _problems.Add(new CatalogProblem(decl.ClrType, $"the default `{argument.Default}` of argument `{argument.Name}` of `{decl.Name}` is not valid: {why}"));
        }
    }

    private static Argument Int(string name, string? @default, long min, long max, string clr, string doc) =>
        new(name, new IntType(min, max), @default, clr, doc);

    private static Argument ClipGrad(string stage) =>
        new("clip_grad", new FloatType(0, 1e6), "0", "ClipGrad", $"clip the gradient's global L2 norm to this value during {stage} (0 = off); only rescales");

    private static readonly Argument DecayExclusions =
        new("decay_exclusions", new BoolType(), "true", "DecayExclusions", "no weight decay for 1-D parameters (norms, biases), position embeddings and class tokens");

    private Argument Augment(string stage) =>
        new("augment", new FormListType(Choice("augmentation"), ClrTypeOfChoice("augmentation")), "[]", "Augment",
            $"augmentations of every {stage} batch, in order; seeded per step" + (stage == "distillation" ? "; teacher and student see the same augmented batch" : ""));

    private static readonly Argument ClassesRequired =
        new("classes", new ClassListType(0, MaxClassIndex), null, "Classes", "class indices (0..C-1: Fashion-MNIST 0..9, an image folder its folders in name order)");

    // The teacher is a ViT by construction (MLP reweighting and the MI analyses work on its blocks).
    // The built-in `vit` is defined here, where its presets fill the dimensions a recipe leaves out
    // and the checks read them; a project's own teacher models (`teacher_model` forms) join it.
    private ChoiceType TeacherModel() => new("model", new[] { Vit }.Concat(DeclaredForms("teacher_model")).ToList());

    private static readonly Form Vit =
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
        }, Positional: false);

    private ChoiceType Pretrain() => new("pretrain", new[]
    {
        new Form("upstream", "Supervised pretraining on an upstream split of the training images, cached on disk and reused by every run with the same teacher, pretraining settings and upstream images.", O + "PretrainOptions", new[]
        {
            ClassesRequired with { Doc = "upstream classes; images used downstream are never used here" },
            Int("epochs", "3", 1, 1000, "Epochs", "pretraining epochs"),
            Int("batch_size", "128", 1, 65536, "BatchSize", "images per step"),
            new Argument("optimizer", Choice("optimizer"), "adamw(lr: 0.001, weight_decay: 0.05)", "Optimizer", "pretraining optimizer"),
            new Argument("schedule", Choice("lr_schedule"), "cosine(warmup: 1)", "Schedule", "pretraining learning-rate schedule"),
            Int("max_images", "0", 0, int.MaxValue, "MaxImages", "cap on upstream images (0 = all)"),
            Int("seed", "0", 0, int.MaxValue, "Seed", "seed of pretraining (initialisation, batch order); replicates share the pretrained teacher"),
            ClipGrad("pretraining"),
            DecayExclusions,
        }, Positional: false),
    });

    private static readonly ChoiceType Normalization = new("normalize", new[]
    {
        new Form("dataset", "The data set's own per-channel statistics (declared by its source, or computed on its training split), as for models trained here.", "Dataset", new Argument[0]),
        new Form("imagenet", "mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225): torchvision models and timm CNNs.", "ImageNet", new Argument[0]),
        new Form("inception", "mean 0.5, std 0.5 per channel: timm's ViT checkpoints (augreg and most others).", "Inception", new Argument[0]),
    }, ChoiceEmission.Enum, O + "Normalization");

    private static Form CheckpointForm(string normalizeDefault) =>
        new("checkpoint", "Weights from a state dict file (.safetensors, or a torch.save .pth/.bin) with the architecture's PyTorch parameter names; the classifier head is replaced when the class count differs. A relative path is relative to the project folder, at build time and at run time.", O + "CheckpointWeights", new[]
        {
            new Argument("path", new StringType(), null, "Path", "the checkpoint file"),
            new Argument("normalize", Normalization, normalizeDefault, "Normalize", "input normalisation the checkpoint was trained with"),
        });

    private static readonly ChoiceType TeacherWeights = new("weights", new[]
    {
        new Form("pretrain", "The weights the `pretrain` stage produces (and caches).", O + "PretrainStageWeights", new Argument[0]),
        CheckpointForm("inception"),
    });

    private static readonly ChoiceType StudentWeights = new("weights", new[]
    {
        new Form("random", "A fresh random initialisation.", O + "RandomWeights", new Argument[0]),
        CheckpointForm("dataset"),
    });

    private static readonly ChoiceType Protocol = new("protocol", new[]
    {
        new Form("honest", "Teacher epoch and student epoch chosen on the validation split; the test split is read once, at the end.", O + "HonestProtocol", new Argument[0]),
        new Form("paper", "The paper's protocol: keep the teacher after each listed epoch, distil a student from each, report the best on the test split (optimistic).", O + "PaperProtocol", new[]
        {
            new Argument("checkpoints", new IntListType(1, 100000), null, "Checkpoints", "fine-tuning epochs after which the teacher is kept"),
        }),
    });

    // The cross-check may be off; `none` is no estimator, so it is not a form of `estimator` itself.
    private ChoiceType CrossCheck() => new("cross_check",
        new[] { new Form("none", "No second estimator.", O + "NoMiEstimator", new Argument[0]) }.Concat(Choice("estimator").Forms).ToList());

    private static ChoiceType Enumeration(string name, string clrEnum, params (string Name, string Member, string Doc)[] members) =>
        new(name, members.Select(m => new Form(m.Name, m.Doc, m.Member, new Argument[0])).ToList(), ChoiceEmission.Enum, O + clrEnum);

    private IReadOnlyList<Section> BuildSections() => new[]
    {
        new Section("teacher", "The teacher ViT and where its pretrained weights come from.", O + "TeacherOptions", "Teacher", new[]
        {
            new Argument("model", TeacherModel(), "vit(preset: tiny_28)", "Model", "teacher architecture"),
            new Argument("pretrain", Pretrain(), null, "Pretrain", "pretraining stage on the upstream split", "required unless `weights` is a checkpoint"),
            new Argument("weights", TeacherWeights, "pretrain", "Weights", "where the teacher's starting weights come from; a checkpoint skips pretraining"),
        }),
        new Section("data", "The downstream task: source, classes, regime and held-out validation.", O + "DataOptions", "Data", new[]
        {
            new Argument("source", Choice("data_source"), "fashion_mnist", "Source", "where the images come from"),
            new Argument("path", new StringType(), "\"\"", "Path", "where the source reads from (empty = the source's own default location); a relative path is relative to the project folder"),
            ClassesRequired with { Doc = "downstream classes, relabelled 0..C-1 in this order" },
            new Argument("regime", Choice("regime"), "full", "Regime", "which training images are labelled"),
            new Argument("validation", new FractionType(0.9), "10%", "ValidationFraction", "fraction of each class's selected images held out for validation (out of the labelled budget)"),
            Int("validation_per_class", "0", 0, int.MaxValue, "ValidationPerClass", "validation images per class drawn beside the regime's images, so the labelled budget stays whole (needs `validation 0%`; 0 = none)"),
            Int("test_images", "0", 0, int.MaxValue, "MaxTestImages", "cap on test images, stratified (0 = all)"),
            Int("reserve", "0", 0, int.MaxValue, "ReservedPerClass", "images per downstream class set aside once, whatever the seed, for the labelled and validation draws; pretraining never sees them, so one teacher serves every replicate (0 = no pool)"),
            Int("seed", "0", 0, int.MaxValue, "Seed", "seed of every data sampling decision"),
        }),
        new Section("finetune", "Fine-tuning the pretrained teacher on the downstream task (the ReMem stage).", O + "FinetuneOptions", "Finetune", new[]
        {
            new Argument("objective", Choice("objective"), "sam(rho: 0.05)", "Objective", "MI objective"),
            new Argument("reweight", Choice("reweight"), "none", "Reweight", "MLP reweighting of the top blocks"),
            new Argument("optimizer", Choice("optimizer"), "adamw(lr: 0.0005, weight_decay: 0.05)", "Optimizer", "base optimizer"),
            new Argument("schedule", Choice("lr_schedule"), "cosine(warmup: 1)", "Schedule", "learning-rate schedule"),
            Int("epochs", "10", 1, 100000, "Epochs", "fine-tuning epochs"),
            Int("batch_size", "32", 1, 65536, "BatchSize", "images per step"),
            ClipGrad("fine-tuning"),
            DecayExclusions,
            Augment("fine-tuning"),
        }),
        new Section("distill", "Distilling the fine-tuned teacher into the student.", O + "DistillOptions", "Distill", new[]
        {
            new Argument("student", Choice("student"), "cnn_small", "Student", "student architecture"),
            new Argument("student_weights", StudentWeights, "random", "StudentWeights", "where the student's starting weights come from"),
            Int("student_size", "0", 0, 1024, "StudentInputSize", "image side the student sees, each batch resized to it from the same (augmented) images the teacher sees at its own size (0 = the data's image size)"),
            new Argument("loss", Choice("distill_loss"), "kd(temperature: 4, weight: 1)", "Loss", "distillation loss"),
            new Argument("optimizer", Choice("optimizer"), "adamw(lr: 0.002, weight_decay: 0.0005)", "Optimizer", "student optimizer"),
            new Argument("schedule", Choice("lr_schedule"), "cosine(warmup: 1)", "Schedule", "learning-rate schedule"),
            Int("epochs", "20", 1, 100000, "Epochs", "distillation epochs"),
            Int("batch_size", "32", 1, 65536, "BatchSize", "images per step"),
            ClipGrad("distillation"),
            DecayExclusions,
            Augment("distillation"),
            Int("transfer", "0", 0, int.MaxValue, "Transfer", "unlabeled images per downstream class the student also learns from, labelled by the teacher (the transfer set; disjoint from every other split; 0 = none)"),
        }),
        new Section("evaluate", "Held-out test evaluation of teacher and student.", O + "EvaluateOptions", "Evaluate", new[]
        {
            new Argument("metrics", new NameListType(O + "Metric", new[]
            {
                new NameMember("accuracy", "Accuracy", "top-1 accuracy"),
                new NameMember("balanced_accuracy", "BalancedAccuracy", "mean per-class recall (for imbalanced data)"),
            }), "[accuracy, balanced_accuracy]", "Metrics", "metrics in the result table"),
            new Argument("protocol", Protocol, "honest", "Protocol", "how teacher checkpoint and student are selected"),
            new Argument("reference", new StringType(), "\"\"", "Reference", "the variant paired statistics compare every other variant with (empty = the first variant)"),
        }),
        new Section("run", "How the experiment executes.", O + "RunOptions", "Run", new[]
        {
            new Argument("device", Enumeration("device", "DeviceKind",
                ("cpu", "Cpu", "The CPU."),
                ("cuda", "Cuda", "An NVIDIA GPU; needs the CUDA LibTorch backend (build with -p:MiDistillTorchBackend=cuda)."),
                ("auto", "Auto", "CUDA when the backend has it, else the CPU.")), "auto", "Device", "where tensors live") { PerProcess = true },
            Int("threads", "0", 0, 1024, "Threads", "CPU threads (0 = the cores other processes leave free, checked again every few seconds while training; a fixed count keeps every run on the same threads)") with { PerProcess = true },
            Int("workers", "0", 0, 256, "Workers", "background threads reading and decoding batches ahead of training, at most twice as many batches in flight (0 = the cores the training threads leave, at least 1); the batches are the same whatever the count") with { PerProcess = true },
            new Argument("seed", new IntListType(0, int.MaxValue), "0", "Seeds", "seed of initialisation and batch order; a list runs one replicate per seed (the i-th also uses data seed + i, see `vary`) and reports mean and standard deviation"),
            new Argument("vary", Enumeration("vary", "ReplicateVariation",
                ("both", "Both", "Replicate i initialises and orders batches with seeds[i] and draws its images with data seed + i."),
                ("training", "Training", "Only initialisation and batch order: every replicate trains on the same images."),
                ("data", "Data", "Only the images (data seed + i): every replicate initialises and orders batches with the first seed.")), "both", "Vary", "what a replicate varies: the training randomness, the downstream data draw, or both"),
            Int("checkpoint_every", "0", 0, int.MaxValue, "CheckpointEverySteps", "also checkpoint after every N-th step of a stage (0 = at epoch ends only)"),
            new Argument("output", new StringType(), "\"runs\"", "OutputDirectory", "root of run folders") { PerProcess = true },
            new Argument("cache", new StringType(), "\".cache/midistill\"", "CacheDirectory", "pretrained-teacher cache") { PerProcess = true },
        }),
        new Section("analyze", "Mutual-information diagnostics of the teacher (docs/information.md). Every analysis is off unless turned on.", O + "AnalyzeOptions", "Analyze", new[]
        {
            new Argument("mi_per_block", new BoolType(), "false", "MiPerBlock", "I(X; H) after every attention and MLP sub-block, before and after fine-tuning"),
            new Argument("bottleneck", new BoolType(), "false", "Bottleneck", "remove the top-k MLP vs attention sub-blocks (k = 0..depth): MI of F_T and probe accuracy"),
            new Argument("sparsity", new BoolType(), "false", "Sparsity", "fraction of MLP hidden units active (GELU input > 0) per block"),
            new Argument("information_plane", new BoolType(), "false", "InformationPlane", "teacher test error against I(X; F_T): a point per variant and seed, and per kept epoch under `protocol paper`"),
            new Argument("estimator", Choice("estimator"), "renyi", "Estimator", "MI estimator of every analysis"),
            new Argument("cross_check", CrossCheck(), "none", "CrossCheck", "a second estimator reported beside the first"),
            Int("probe", "500", 2, 10000, "ProbeImages", "probe images (a fixed, class-stratified draw; fewer if the split is smaller)"),
            new Argument("probe_split", Enumeration("probe_split", "ProbeSplit",
                ("test", "Test", "The downstream test split."),
                ("validation", "Validation", "The held-out validation split (small in few-shot regimes).")), "test", "ProbeSplit", "where probe images come from; never the fine-tuning images"),
            new Argument("token", Enumeration("token", "ProbeToken",
                ("cls", "Cls", "The CLS token: the path to F_T, which is the normed CLS token."),
                ("mean", "Mean", "The mean over all tokens.")), "cls", "Token", "which token represents a sub-block's output H"),
        }),
    };
}
