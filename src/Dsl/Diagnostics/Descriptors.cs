namespace MiDistill.Dsl.Diagnostics;

/// <summary>
/// The one table of every diagnostic the recipe compiler can report, in id order. Each has a title, a
/// message format (the text users see, with the same arguments in the terminal and in the IDE), a
/// description of its rule, a category and the section of docs/language.md that explains it.
/// </summary>
public static class Descriptors
{
    private const DiagnosticSeverity Error = DiagnosticSeverity.Error;
    private const DiagnosticSeverity Warning = DiagnosticSeverity.Warning;
    private const DiagnosticCategory Syntax = DiagnosticCategory.Syntax;
    private const DiagnosticCategory Semantics = DiagnosticCategory.Semantics;
    private const DiagnosticCategory Generator = DiagnosticCategory.Generator;

    // Syntax: MD0001-MD0099.
    public static readonly DiagnosticDescriptor SyntaxError = new("MD0001", "Syntax error",
        "syntax error: {0}",
        Error, Syntax, "syntax",
        "The recipe text does not follow the grammar where the parser stopped; the message names what it found there and what it expected.");

    // Semantic errors: MD0100-MD0199.
    public static readonly DiagnosticDescriptor UnknownSection = new("MD0101", "Unknown section",
        "unknown section `{0}`{1}; sections are {2}",
        Error, Semantics, "sections",
        "A recipe body holds only the sections the language defines; the message lists them and suggests the nearest one to a misspelt name.");
    public static readonly DiagnosticDescriptor UnknownSetting = new("MD0102", "Unknown setting",
        "unknown setting `{0}` in `{1}`{2}; settings of `{1}` are {3}",
        Error, Semantics, "sections",
        "Each section accepts a fixed set of settings; any other name is rejected, with the nearest setting suggested and the section's settings listed.");
    public static readonly DiagnosticDescriptor UnknownForm = new("MD0103", "Unknown value",
        "`{0}` is not a valid `{1}`{2}; expected one of {3}",
        Error, Semantics, "values",
        "A choice setting takes one of its named forms, built in or declared in the project with [RecipeForm]; any other name is rejected, with the forms listed.");
    public static readonly DiagnosticDescriptor UnknownArgument = new("MD0104", "Unknown argument",
        "`{0}` has no argument `{1}`{2}; its arguments are {3}",
        Error, Semantics, "values",
        "A form's call names only the arguments the form declares; the message suggests the nearest one and lists them.");
    public static readonly DiagnosticDescriptor WrongType = new("MD0105", "Wrong value type",
        "`{0}` expects {1}, but found {2}",
        Error, Semantics, "values",
        "A value of the wrong kind for its setting or argument, such as a name where a number, a percentage or a list is expected.");
    public static readonly DiagnosticDescriptor OutOfRange = new("MD0106", "Value out of range",
        "`{0}` = {1} is out of range; expected {2}",
        Error, Semantics, "values",
        "A number, percentage or list outside the range its setting or argument allows; the message gives the range.");
    public static readonly DiagnosticDescriptor MissingRequired = new("MD0107", "Missing required setting",
        "{0} is required: {1}",
        Error, Semantics, "sections",
        "A setting without a default, or one that another setting makes necessary, is not given.");
    public static readonly DiagnosticDescriptor DuplicateRecipe = new("MD0108", "Duplicate recipe name",
        "recipe `{0}` is already declared at {1}; recipe names must be unique across all .distill files",
        Error, Semantics, "recipes",
        "The registry and the command line find recipes by name, so each recipe name appears once across all .distill files of a project.");
    public static readonly DiagnosticDescriptor DuplicateVariant = new("MD0109", "Duplicate variant name",
        "variant `{0}` is already declared in recipe `{1}`; rename one of them",
        Error, Semantics, "variants",
        "Variant names identify runs and result rows, so each appears once within its recipe.");
    public static readonly DiagnosticDescriptor UnknownOverride = new("MD0110", "Variant overrides an unknown setting",
        "variant `{0}` overrides `{1}`, which does not exist{2}; write `section.setting = value` or `section.setting.argument = value`",
        Error, Semantics, "variants",
        "A variant overrides `section.setting` or `section.setting.argument`, and the path must name a setting or argument that exists.");
    public static readonly DiagnosticDescriptor DuplicateSetting = new("MD0111", "Setting given twice",
        "`{0}` is already set on line {1}; remove one of them",
        Error, Semantics, "sections",
        "Each setting (or sweep grid) is given at most once; a second value would silently replace the first.");
    public static readonly DiagnosticDescriptor DuplicateSection = new("MD0112", "Section given twice",
        "section `{0}` is already declared on line {1}; merge them into one",
        Error, Semantics, "sections",
        "Each section is declared at most once in a recipe; merge its settings into one block.");
    public static readonly DiagnosticDescriptor ReweightTooDeep = new("MD0113", "Reweighting deeper than the teacher",
        "`reweight` top = {0} exceeds the teacher's depth ({1} blocks of `{2}`); use at most {1}",
        Error, Semantics, "finetune",
        "`reweight mlp(top)` down-weights the MLP branches of the teacher's top blocks, so `top` cannot exceed the teacher's depth.");
    public static readonly DiagnosticDescriptor TooManyShots = new("MD0114", "Not enough images per class",
        "{0} = {1} images per class exceeds the smallest selected class of {2} ({3} training images); use at most {3}",
        Error, Semantics, "data",
        "The regime, the reserved pool, the validation images and the transfer set together ask for more training images per class than the smallest selected class has.");
    public static readonly DiagnosticDescriptor BadClassList = new("MD0115", "Invalid class list",
        "{0}",
        Error, Semantics, "data",
        "A class list is empty, runs backwards, names a class outside the numbering or one the data source does not have, or names a class twice; the message says which.");
    public static readonly DiagnosticDescriptor BadTeacherShape = new("MD0116", "Invalid teacher dimensions",
        "{0}",
        Error, Semantics, "teacher",
        "The teacher's dimensions cannot make a ViT: a patch size that does not divide the image size, or a width that the number of heads does not divide; the message says which.");
    public static readonly DiagnosticDescriptor NoRecipe = new("MD0117", "Empty recipe file",
        "this .distill file declares no recipe; start with `recipe <name> {{ ... }}`",
        Error, Semantics, "recipes",
        "A .distill file declares at least one recipe; a file without any is almost always one whose content was lost.");
    public static readonly DiagnosticDescriptor RepeatedValue = new("MD0118", "Value repeated in a list",
        "{0} appears twice in `{1}`; list each value once",
        Error, Semantics, "values",
        "A list of values (seeds, kept epochs, sweep points) names each value once.");
    public static readonly DiagnosticDescriptor CheckpointAfterLastEpoch = new("MD0119", "Protocol checkpoint after the last epoch",
        "the paper protocol keeps the teacher after epoch {0}, but `finetune.epochs` is {1}; list epochs from 1 to {1}",
        Error, Semantics, "evaluate",
        "The paper protocol keeps the teacher after the listed fine-tuning epochs, so each must lie within `finetune.epochs`.");
    public static readonly DiagnosticDescriptor ProbeTooLarge = new("MD0120", "Probe set larger than its split",
        "`analyze.probe` = {0} exceeds the {1} test images available ({2}); use at most {1}, or raise `data.test_images`",
        Error, Semantics, "analyze",
        "The analysis probe set is drawn from the test split, so it cannot be larger than the test images available.");
    public static readonly DiagnosticDescriptor RenyiAlphaOne = new("MD0121", "Renyi order 1",
        "Renyi alpha = 1 is the Shannon limit, where S_alpha = log2(sum lambda^alpha) / (1 - alpha) divides by zero; use a nearby order such as 1.01",
        Error, Semantics, "analyze",
        "Matrix-based Renyi entropy divides by 1 - alpha, so alpha = 1 is undefined; an order near 1 approximates Shannon entropy.");
    public static readonly DiagnosticDescriptor KsgTooFewSamples = new("MD0122", "KSG needs more probe images than neighbours",
        "`ksg` k = {0} needs more than {0} probe images, but `analyze.probe` = {1}; lower k or raise the probe size",
        Error, Semantics, "analyze",
        "The KSG estimator uses each probe image's k nearest neighbours, so it needs more probe images than k.");
    public static readonly DiagnosticDescriptor ValidationTwice = new("MD0123", "Validation from two places",
        "`validation_per_class` takes validation images beside the labelled ones, but `validation` also holds {0} of them out; set `validation 0%` or drop `validation_per_class`",
        Error, Semantics, "data",
        "Validation images come either from a `validation` fraction of the labelled images or from `validation_per_class` beside them, not from both.");

    // Training methods (issue #4): MD0130-MD0139.
    public static readonly DiagnosticDescriptor RepeatedListForm = new("MD0130", "Form listed twice",
        "`{0}` appears twice in `{1}` (first on line {2}); list each at most once",
        Error, Semantics, "values",
        "A list of forms, such as the augmentations, names each form at most once.");
    public static readonly DiagnosticDescriptor ReweightAlphasDepth = new("MD0131", "Per-block alphas do not match the teacher's depth",
        "`reweight mlp_blocks` lists {0} alphas, but the teacher has {1} blocks (`{2}`); give exactly one alpha per block, bottom block first",
        Error, Semantics, "finetune",
        "`reweight mlp_blocks` gives one alpha per teacher block, bottom first, so the list is as long as the teacher is deep.");
    public static readonly DiagnosticDescriptor MixupAlone = new("MD0133", "Augmentation after mixup",
        "`{0}` follows `mixup` in `{1}`; mixup blends whole images, so crop and flip go first: write `mixup` last",
        Error, Semantics, "values",
        "Mixup blends whole images and their labels, so crop and flip come before it in the augmentation list.");

    public static readonly DiagnosticDescriptor TeacherCacheMixup = new("MD0180", "Mixup with a teacher-output cache",
        "`mixup` in `distill.augment` mixes pairs of a batch, which a teacher-output cache cannot replay from per-image views; remove `mixup`, or set `distill.teacher_cache_views 0`",
        Error, Semantics, "distill",
        "A teacher-output cache stores the teacher's outputs on views of single images; mixup blends two images of a batch, whose pairing changes every epoch, so the teacher's output on the blend is never stored.");
    public static readonly DiagnosticDescriptor TeacherCacheTopKTooLarge = new("MD0181", "Cache keeps more classes than there are",
        "`teacher_cache_top_k {0}` keeps more logits than the {1} downstream classes; use at most {1}, or 0 for every class",
        Error, Semantics, "distill",
        "The teacher-output cache keeps the teacher's largest logits per view; there cannot be more than there are classes.");
    public static readonly DiagnosticDescriptor TeacherCacheTooSmallForLoss = new("MD0182", "Loss needs more than the cache holds",
        "`{0}` correlates every class's probability across the batch, but `teacher_cache_top_k {1}` keeps {1} of {2} classes; set `teacher_cache_top_k 0` (every class) or {2}",
        Error, Semantics, "distill",
        "DIST's intra-class term compares each class's probability across the batch, so it needs the teacher's output on every class; a cache with fewer classes would invent the others.");

    public static readonly DiagnosticDescriptor PretrainWithCheckpoint = new("MD0140", "Pretraining beside a checkpoint",
        "the teacher starts from a checkpoint, so `pretrain` would never run; remove `pretrain`, or use `weights pretrain`",
        Error, Semantics, "teacher",
        "A teacher that starts from a checkpoint never runs its `pretrain` stage; keep one of the two.");

    // Generated C# names (issue #10): MD0150-MD0159.
    public static readonly DiagnosticDescriptor RecipeClassClash = new("MD0150", "Recipe names clash in C#",
        "recipe `{0}` becomes the C# class `{1}`, which clashes with `{2}` of recipe `{3}` at {4}; rename one of them (C# names drop `_` and capitalise each word; generated file names ignore case)",
        Error, Semantics, "recipes",
        "Each recipe becomes a C# class (`_` dropped, each word capitalised) in a generated file named after it; two recipes whose classes or file names (ignoring case) coincide cannot both be generated.");
    public static readonly DiagnosticDescriptor VariantPropertyClash = new("MD0151", "Variant names clash in C#",
        "variant `{0}` becomes the C# property `Settings.{1}`, as variant `{2}` on line {3} does; rename one of them (C# names drop `_` and capitalise each word)",
        Error, Semantics, "variants",
        "Each variant becomes a C# property of the recipe's `Settings` class; two variants that become the same property cannot both be generated.");
    public static readonly DiagnosticDescriptor ReservedName = new("MD0152", "Name reserved in C#",
        "{0} `{1}` becomes the C# name `{2}`, which {3}; rename the {0}",
        Error, Semantics, "recipes",
        "A recipe or variant whose C# name is a keyword or a member every generated class already has cannot be generated under that name.");

    // Sweeps (issue #13): MD0160-MD0169.
    public static readonly DiagnosticDescriptor SweepUnknownPath = new("MD0160", "Sweep grid over an unknown setting",
        "the sweep's grid `{1}` does not exist in variant `{0}`{2}; a grid is `section.setting [values]` or `section.setting.argument [values]`, and `variants [...]` in the sweep limits it to the variants that have the setting",
        Error, Semantics, "sweeps",
        "A sweep grid names `section.setting` or `section.setting.argument`, which must exist in every variant the sweep applies to.");
    public static readonly DiagnosticDescriptor SweepNotAList = new("MD0161", "Sweep grid without a list of points",
        "the sweep's grid `{0}` expects a non-empty list of grid points, e.g. `{0} [a, b]`, but found {1}",
        Error, Semantics, "sweeps",
        "A sweep grid is a setting path followed by a non-empty list of grid points.");
    public static readonly DiagnosticDescriptor UnknownSweepOption = new("MD0162", "Unknown sweep option",
        "unknown sweep option `{0}`{1}; a sweep holds grids `section.setting [values]` and the options `limit` and `variants`",
        Error, Semantics, "sweeps",
        "A sweep holds grids and the options `limit` and `variants`, nothing else.");
    public static readonly DiagnosticDescriptor SweepTooLarge = new("MD0163", "Sweep too large to expand",
        "the sweep expands to more than {0} variants ({1}); the compiler expands at most {0}: shrink the grids or split the study into several recipes",
        Error, Semantics, "sweeps",
        "The compiler expands a sweep into named variants up to a fixed number, so a mistyped grid cannot swamp the build.");

    // Process resources (issue #19): MD0170-MD0179.
    public static readonly DiagnosticDescriptor ProcessSettingInVariant = new("MD0170", "Process setting in a variant",
        "`{0}` belongs to the process, not to {1}: every variant of a run shares one device, thread count, data workers, output folder and cache; set it in the recipe's `run` section or on the command line (`--{2}`)",
        Error, Semantics, "variants",
        "Device, threads, data workers, output and cache belong to the process that runs the recipe, so every variant and sweep point of one run shares them; a variant or a sweep may not set them.");

    // Warnings, legal but suspicious: MD0200-MD0299.
    public static readonly DiagnosticDescriptor SmallRho = new("MD0201", "SAM radius very small",
        "SAM rho = {0} is below 0.01: the perturbation is too small to change the optimum, and SAM then costs twice the compute of cross-entropy for nothing; the method uses rho >= 0.05",
        Warning, Semantics, "finetune",
        "A SAM radius below 0.01 barely perturbs the weights: every step costs two passes for about what plain cross-entropy gives.");
    public static readonly DiagnosticDescriptor ReweightNoEffect = new("MD0202", "Reweighting has no effect",
        "`reweight` with alpha = 1 leaves every block unchanged; use `reweight none` or an alpha below 1",
        Warning, Semantics, "finetune",
        "`reweight mlp` with alpha = 1 leaves every block unchanged, so the setting has no effect.");
    public static readonly DiagnosticDescriptor OverlappingClasses = new("MD0203", "Upstream and downstream classes overlap",
        "pretraining classes {0} overlap the downstream classes {1}; images stay disjoint, but a class-disjoint split is the faithful setting",
        Warning, Semantics, "data",
        "Pretraining on classes the downstream task also uses is allowed (the images stay disjoint), but the faithful setting keeps the two class sets apart.");
    public static readonly DiagnosticDescriptor LargeTeacherOnCpu = new("MD0204", "Large teacher on the CPU",
        "teacher `{0}` has {1} blocks of width {2}; training it on the CPU will take hours. Use a `_28` preset on the CPU, or `run {{ device cuda }}`",
        Warning, Semantics, "teacher",
        "A teacher this wide and deep trains for hours on a CPU; the `_28` presets are sized for one.");
    public static readonly DiagnosticDescriptor MissingCheckpoint = new("MD0205", "Checkpoint file not found",
        "checkpoint file \"{0}\" does not exist (looked for {1}); the run fails unless it appears before then",
        Warning, Semantics, "teacher",
        "The checkpoint file a recipe names does not exist at build time; the run fails unless it appears by then.");
    public static readonly DiagnosticDescriptor MissingImageFolder = new("MD0206", "Image folder not found",
        "image folder \"{0}\" {1} (looked for {2}); an image folder holds `train/<class>/` and `test/<class>/`, and the run fails unless they appear before then or `--data` points at another folder",
        Warning, Semantics, "data",
        "The folder an `image_folder` source reads does not exist at build time, or lacks its `train/` or `test/` folder; the run fails unless they appear by then.");
    public static readonly DiagnosticDescriptor AnalyzeNothingOn = new("MD0210", "Analysis settings without an analysis",
        "`analyze` sets `{0}` but turns no analysis on, so nothing is measured; add `mi_per_block true` (or `bottleneck`, `sparsity`, `information_plane`)",
        Warning, Semantics, "analyze",
        "Settings of `analyze` without any analysis turned on measure nothing.");
    public static readonly DiagnosticDescriptor SmallProbe = new("MD0211", "Small probe set",
        "`analyze.probe` = {0}: MI estimates from fewer than 100 images vary strongly from draw to draw; use 100 or more (500 is the default)",
        Warning, Semantics, "analyze",
        "Mutual-information estimates from fewer than 100 probe images vary strongly from one draw to the next.");
    public static readonly DiagnosticDescriptor SmallAsamRho = new("MD0220", "ASAM radius small",
        "ASAM rho = {0} is below 0.1: adaptive SAM's radius is measured relative to the weights and is about 10x SAM's (0.5-2.0); at this size the climb barely moves, and the step still costs two passes",
        Warning, Semantics, "finetune",
        "Adaptive SAM's radius is relative to the weights and usually 0.5 to 2; below 0.1 the step barely moves and still costs two passes.");
    public static readonly DiagnosticDescriptor StepNeverDecays = new("MD0221", "Step schedule never decays",
        "the step schedule decays every {0} epochs, but `{1}` runs {2} epochs; the rate never drops. Use a smaller `every` or `constant`",
        Warning, Semantics, "values",
        "A step schedule whose period is at least the stage's length never lowers the learning rate.");
    public static readonly DiagnosticDescriptor AlphasAllOne = new("MD0222", "Reweighting has no effect",
        "every alpha of `mlp_blocks` is 1, which leaves every block unchanged; use `reweight none` or alphas below 1",
        Warning, Semantics, "finetune",
        "`reweight mlp_blocks` with every alpha 1 leaves every block unchanged, so the setting has no effect.");
    public static readonly DiagnosticDescriptor SweepPointDuplicate = new("MD0230", "Sweep point repeats another variant",
        "sweep point `{0}` has exactly the settings of variant `{1}`, so it would run the same experiment twice; drop the value or change the variant",
        Warning, Semantics, "sweeps",
        "A sweep point with exactly another variant's settings would run the same experiment twice.");
    public static readonly DiagnosticDescriptor SweepOverLimit = new("MD0231", "Sweep larger than its limit",
        "the sweep makes {0} runs ({1} variants, each over its seeds), more than its limit of {2}; shrink the grids, or raise `limit` if that many runs is intended",
        Warning, Semantics, "sweeps",
        "The sweep makes more runs than its `limit`, which guards against a grid larger than intended.");

    // Generator-internal: MD0900-MD0999.
    public static readonly DiagnosticDescriptor GeneratorFailure = new("MD0900", "Recipe generator failed",
        "the MiDistill recipe generator failed on this file ({0}); please report it with the recipe that triggers it",
        Error, Generator, "troubleshooting",
        "The recipe generator itself failed (a file it could not read, or a bug in the compiler), and the message carries the exception; it is an error rather than a build that silently generated nothing.");
    public static readonly DiagnosticDescriptor BadFormDeclaration = new("MD0901", "Recipe form declaration cannot be used",
        "recipe form {0}: {1}",
        Error, Generator, "your-own-forms",
        "A [RecipeForm] record declared in C# cannot be used as a recipe form as written, for example a name its choice already has or a default outside its own range; reported at the record.");

    /// <summary>Every descriptor, in id order (a test derives this list from the fields above).</summary>
    public static readonly DiagnosticDescriptor[] All =
    {
        SyntaxError, UnknownSection, UnknownSetting, UnknownForm, UnknownArgument, WrongType, OutOfRange,
        MissingRequired, DuplicateRecipe, DuplicateVariant, UnknownOverride, DuplicateSetting,
        DuplicateSection, ReweightTooDeep, TooManyShots, BadClassList, BadTeacherShape, NoRecipe,
        RepeatedValue, CheckpointAfterLastEpoch, ProbeTooLarge, RenyiAlphaOne, KsgTooFewSamples,
        ValidationTwice, RepeatedListForm, ReweightAlphasDepth, MixupAlone, PretrainWithCheckpoint,
        RecipeClassClash, VariantPropertyClash, ReservedName, SweepUnknownPath, SweepNotAList,
        UnknownSweepOption, SweepTooLarge, ProcessSettingInVariant, TeacherCacheMixup, TeacherCacheTopKTooLarge, TeacherCacheTooSmallForLoss, SmallRho, ReweightNoEffect, OverlappingClasses, LargeTeacherOnCpu,
        MissingCheckpoint, MissingImageFolder, AnalyzeNothingOn, SmallProbe, SmallAsamRho, StepNeverDecays, AlphasAllOne,
        SweepPointDuplicate, SweepOverLimit, GeneratorFailure, BadFormDeclaration,
    };
}
