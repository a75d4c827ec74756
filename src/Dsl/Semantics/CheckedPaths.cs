using System.Collections.Generic;

namespace MiDistill.Dsl.Semantics;

// What the cross-setting checks read, declared once as typed paths instead of string keys spread
// through the checks: a setting (section.setting), a form of its choice, an argument of a form.
// A test (CheckedPathsTests) resolves every path below against the schema, so renaming a setting,
// a form or an argument on its record fails a test instead of silently turning a check off.

/// <summary>A setting a check reads, e.g. <c>finetune.reweight</c>.</summary>
internal sealed record SettingPath(string Section, string Setting)
{
    public override string ToString() => Section + "." + Setting;
}

/// <summary>A form of a setting's choice that a check recognises, e.g. <c>mlp</c> of <c>finetune.reweight</c>.</summary>
internal sealed record FormPath(SettingPath Setting, string Form)
{
    public override string ToString() => $"{Setting} {Form}";
}

/// <summary>An argument of a form that a check reads, e.g. <c>alpha</c> of <c>finetune.reweight mlp</c>.</summary>
internal sealed record ArgPath(FormPath Form, string Argument)
{
    public override string ToString() => $"{Form}({Argument})";
}

/// <summary>Every setting, form and argument the checks read (RecipeChecks, AnalyzeChecks, the sweep's run count).</summary>
internal static class Paths
{
    public static readonly SettingPath TeacherModel = new("teacher", "model"), TeacherPretrain = new("teacher", "pretrain"), TeacherWeights = new("teacher", "weights");
    public static readonly SettingPath DataSource = new("data", "source"), DataPath = new("data", "path"), DataClasses = new("data", "classes"), DataRegime = new("data", "regime"),
        DataValidation = new("data", "validation"), DataValidationPerClass = new("data", "validation_per_class"), DataTestImages = new("data", "test_images"), DataReserve = new("data", "reserve");
    public static readonly SettingPath FinetuneObjective = new("finetune", "objective"), FinetuneReweight = new("finetune", "reweight"),
        FinetuneSchedule = new("finetune", "schedule"), FinetuneEpochs = new("finetune", "epochs"), FinetuneAugment = new("finetune", "augment");
    public static readonly SettingPath DistillStudentWeights = new("distill", "student_weights"), DistillSchedule = new("distill", "schedule"),
        DistillEpochs = new("distill", "epochs"), DistillAugment = new("distill", "augment"), DistillTransfer = new("distill", "transfer");
    public static readonly SettingPath DistillLoss = new("distill", "loss"), DistillTeacherCacheViews = new("distill", "teacher_cache_views"),
        DistillTeacherCacheTopK = new("distill", "teacher_cache_top_k");
    public static readonly FormPath DistillMixup = new(DistillAugment, "mixup"), DistLoss = new(DistillLoss, "dist");
    public static readonly SettingPath EvaluateProtocol = new("evaluate", "protocol"), EvaluateReference = new("evaluate", "reference");
    public static readonly SettingPath RunDevice = new("run", "device"), RunSeed = new("run", "seed");
    public static readonly SettingPath AnalyzeMiPerBlock = new("analyze", "mi_per_block"), AnalyzeBottleneck = new("analyze", "bottleneck"),
        AnalyzeSparsity = new("analyze", "sparsity"), AnalyzeInformationPlane = new("analyze", "information_plane"), AnalyzeProbe = new("analyze", "probe"),
        AnalyzeProbeSplit = new("analyze", "probe_split"), AnalyzeEstimator = new("analyze", "estimator"), AnalyzeCrossCheck = new("analyze", "cross_check");

    public static readonly FormPath Vit = new(TeacherModel, "vit"), Upstream = new(TeacherPretrain, "upstream");
    public static readonly FormPath PretrainWeights = new(TeacherWeights, "pretrain"), CheckpointWeights = new(TeacherWeights, "checkpoint"), StudentCheckpoint = new(DistillStudentWeights, "checkpoint");
    public static readonly FormPath MlpReweight = new(FinetuneReweight, "mlp"), AllBlocksReweight = new(FinetuneReweight, "all_blocks"), MlpBlocksReweight = new(FinetuneReweight, "mlp_blocks");
    public static readonly FormPath Sam = new(FinetuneObjective, "sam"), Asam = new(FinetuneObjective, "asam");
    public static readonly FormPath StepSchedule = new(FinetuneSchedule, "step"), Mixup = new(FinetuneAugment, "mixup");
    public static readonly FormPath PaperProtocol = new(EvaluateProtocol, "paper");
    public static readonly FormPath FewShot = new(DataRegime, "few_shot"), LongTail = new(DataRegime, "long_tail"), ImageFolder = new(DataSource, "image_folder");
    public static readonly FormPath Cuda = new(RunDevice, "cuda"), TestSplit = new(AnalyzeProbeSplit, "test");
    public static readonly FormPath Renyi = new(AnalyzeEstimator, "renyi"), Ksg = new(AnalyzeEstimator, "ksg");

    public static readonly ArgPath VitPreset = new(Vit, "preset"), VitImageSize = new(Vit, "image_size"), VitPatch = new(Vit, "patch"), VitChannels = new(Vit, "channels"),
        VitDim = new(Vit, "dim"), VitDepth = new(Vit, "depth"), VitHeads = new(Vit, "heads"), VitMlpRatio = new(Vit, "mlp_ratio");
    public static readonly ArgPath UpstreamClasses = new(Upstream, "classes"), UpstreamEpochs = new(Upstream, "epochs"), UpstreamSchedule = new(Upstream, "schedule");
    public static readonly ArgPath CheckpointPath = new(CheckpointWeights, "path"), StudentCheckpointPath = new(StudentCheckpoint, "path");
    public static readonly ArgPath MlpTop = new(MlpReweight, "top"), MlpAlpha = new(MlpReweight, "alpha"), AllBlocksAlpha = new(AllBlocksReweight, "alpha"), MlpBlocksAlphas = new(MlpBlocksReweight, "alphas");
    public static readonly ArgPath SamRho = new(Sam, "rho"), AsamRho = new(Asam, "rho");
    public static readonly ArgPath StepEvery = new(StepSchedule, "every"), PaperCheckpoints = new(PaperProtocol, "checkpoints");
    public static readonly ArgPath FewShotPerClass = new(FewShot, "per_class"), LongTailMaxPerClass = new(LongTail, "max_per_class");
    public static readonly ArgPath RenyiAlpha = new(Renyi, "alpha"), KsgK = new(Ksg, "k");

    /// <summary>The analyses a recipe turns on; any of them on makes the other `analyze` settings count.</summary>
    public static readonly IReadOnlyList<SettingPath> AnalysisSwitches = new[] { AnalyzeMiPerBlock, AnalyzeBottleneck, AnalyzeSparsity, AnalyzeInformationPlane };
}

/// <summary>Typed reads of a bound form by the paths above.</summary>
internal static class PathReads
{
    public static bool Is(this BoundForm form, FormPath path) => form.Name == path.Form;
    public static BoundValue? Argument(this BoundForm form, ArgPath path) => form.Argument(path.Argument);
    public static BoundValue Required(this BoundForm form, ArgPath path) => form.Required(path.Argument);
    public static long Int(this BoundForm form, ArgPath path) => form.Int(path.Argument);
    public static double Float(this BoundForm form, ArgPath path) => form.Float(path.Argument);
    public static Model.EquatableArray<int> Ints(this BoundForm form, ArgPath path) => form.Ints(path.Argument);
    public static Model.EquatableArray<double> Floats(this BoundForm form, ArgPath path) => form.Floats(path.Argument);
    public static BoundForm FormArg(this BoundForm form, ArgPath path) => form.FormArg(path.Argument);
    public static BoundForm With(this BoundForm form, ArgPath path, BoundValue value) => form.With(path.Argument, value);
}
