using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>One variant's bound settings by (section, setting), with typed reads for the checks.</summary>
internal sealed class VariantSettings
{
    private readonly Dictionary<(string, string), BoundValue> _values;

    public VariantSettings(Dictionary<(string, string), BoundValue> values) => _values = values;

    public BoundValue this[string section, string setting] => _values[(section, setting)];

    public BoundValue? Optional(string section, string setting) => _values.TryGetValue((section, setting), out var v) ? v : null;

    public BoundForm Form(string section, string setting) => this[section, setting].AsForm();

    public long Int(string section, string setting) => this[section, setting].AsInt();

    public void Set(string section, string setting, BoundValue value) => _values[(section, setting)] = value;
}

/// <summary>Checks that involve more than one setting, run on every variant after its overrides.</summary>
internal static class RecipeChecks
{
    /// <summary>Fills the ViT dimensions the recipe left out from the chosen preset.</summary>
    public static void CompleteTeacher(VariantSettings settings)
    {
        var vit = settings.Form("teacher", "model");
        if (vit.Name != "vit") return;  // a project's own teacher model has no presets
        var preset = VitPresets.Find(vit.FormArg("preset").Name)!;
        var filled = vit;
        void Fill(string name, ResolvedValue value)
        {
            if (filled.Argument(name) is null) filled = filled.With(name, new BoundScalar(value, vit.Span));
        }
        Fill("image_size", new IntValue(preset.ImageSize));
        Fill("patch", new IntValue(preset.PatchSize));
        Fill("channels", new IntValue(preset.Channels));
        Fill("dim", new IntValue(preset.EmbedDim));
        Fill("depth", new IntValue(preset.Depth));
        Fill("heads", new IntValue(preset.Heads));
        Fill("mlp_ratio", new FloatValue(preset.MlpRatio));
        settings.Set("teacher", "model", filled);
    }

    public static void Run(RecipeSchema schema, VariantSettings settings, string path, List<DslDiagnostic> diagnostics, string? projectDirectory = null)
    {
        void Report(DiagnosticDescriptor d, SourceSpan span, params object[] args) => diagnostics.Add(DslDiagnostic.Create(d, path, span, args));

        void CheckStepSchedule(BoundForm schedule, long epochs, string label)
        {
            if (schedule.Name != "step") return;
            long every = schedule.Int("every");
            if (every >= epochs)
                Report(Descriptors.StepNeverDecays, schedule.Required("every").Span, every, label, epochs);
        }

        void CheckAugmentOrder(BoundValue augment, string label)
        {
            if (augment is not BoundFormList list) return;
            bool mixed = false;
            foreach (var item in list.Items)
            {
                if (mixed) Report(Descriptors.MixupAlone, item.Span, item.Form.Name, label);
                if (item.Form.Name == "mixup") mixed = true;
            }
        }

        // Teacher shape: known at build time for the built-in ViT; a project's own teacher model
        // checks itself when it is built (its depth is then unknown here, and so are the checks on it).
        var vit = settings.Form("teacher", "model");
        long? depth = null;
        string preset = vit.Name;
        if (vit.Name == "vit")
        {
            long dim = vit.Int("dim"), heads = vit.Int("heads"), image = vit.Int("image_size"), patch = vit.Int("patch");
            depth = vit.Int("depth");
            preset = vit.FormArg("preset").Name;
            if (dim % heads != 0)
                Report(Descriptors.BadTeacherShape, vit.Required("heads").Span, $"the teacher's width dim = {dim} is not divisible by heads = {heads}; choose heads that divide {dim}");
            if (image % patch != 0)
                Report(Descriptors.BadTeacherShape, vit.Required("patch").Span, $"patch = {patch} does not divide image_size = {image}; choose a patch size that divides {image}");
            if (dim * depth > VitPresets.LargeForCpu && settings.Form("run", "device").Name != "cuda")
                Report(Descriptors.LargeTeacherOnCpu, vit.Span, preset, depth, dim);
        }

        // Fine-tuning.
        var reweight = settings.Form("finetune", "reweight");
        if (reweight.Name == "mlp")
        {
            long top = reweight.Int("top");
            if (depth is not null && top > depth)
                Report(Descriptors.ReweightTooDeep, reweight.Required("top").Span, top, depth, preset);
            if (reweight.Float("alpha") == 1.0)
                Report(Descriptors.ReweightNoEffect, reweight.Required("alpha").Span);
        }
        if (reweight.Name == "all_blocks" && reweight.Float("alpha") == 1.0)
            Report(Descriptors.ReweightNoEffect, reweight.Required("alpha").Span);
        var objective = settings.Form("finetune", "objective");
        if (objective.Name == "sam" && objective.Float("rho") < 0.01)
            Report(Descriptors.SmallRho, objective.Required("rho").Span, Show(objective.Float("rho")));

        var protocol = settings.Form("evaluate", "protocol");
        if (protocol.Name == "paper")
        {
            long epochs = settings.Int("finetune", "epochs");
            var kept = protocol.Required("checkpoints");
            foreach (var epoch in kept.AsInts().Where(e => e > epochs).Take(1))
                Report(Descriptors.CheckpointAfterLastEpoch, kept.Span, epoch, epochs);
        }
        if (reweight.Name == "mlp_blocks")
        {
            var alphas = reweight.Floats("alphas");
            if (depth is not null && alphas.Count != depth)
                Report(Descriptors.ReweightAlphasDepth, reweight.Required("alphas").Span, alphas.Count, depth, preset);
            else if (alphas.All(a => a == 1.0))
                Report(Descriptors.AlphasAllOne, reweight.Required("alphas").Span);
        }
        if (objective.Name == "asam" && objective.Float("rho") < 0.1)
            Report(Descriptors.SmallAsamRho, objective.Required("rho").Span, Show(objective.Float("rho")));
        foreach (var stage in new[] { "finetune", "distill" })
        {
            CheckStepSchedule(settings.Form(stage, "schedule"), settings.Int(stage, "epochs"), stage + ".schedule");
            CheckAugmentOrder(settings[stage, "augment"], stage + ".augment");
        }
        var pretrain = settings.Optional("teacher", "pretrain") as BoundForm;
        if (pretrain is not null)
            CheckStepSchedule(pretrain.FormArg("schedule"), pretrain.Int("epochs"), "teacher.pretrain.schedule");

        // Data: what the source declares it has (Fashion-MNIST: 10 classes of 6,000 training images).
        var source = settings.Form("data", "source");
        var facts = source.Form.Facts;
        var title = facts is { Title.Length: > 0 } ? facts.Title : $"`{source.Name}`";
        var classes = settings["data", "classes"].AsInts();
        var regime = settings.Form("data", "regime");
        long perClass = facts?.TrainImagesPerClass ?? 0;
        var shotsFrom = title;
        long reserve = settings.Int("data", "reserve");
        if (reserve > 0 && (perClass == 0 || reserve < perClass))
        {
            // The labelled draws come from the reserved pool, so it bounds them.
            perClass = reserve;
            shotsFrom = "the `data.reserve` pool";
        }
        if (perClass > 0 && regime.Name == "few_shot" && regime.Int("per_class") > perClass)
            Report(Descriptors.TooManyShots, regime.Required("per_class").Span, "few_shot per_class", regime.Int("per_class"), shotsFrom, perClass);
        // Validation beside the budget and the transfer set come from the same images as the labelled draw.
        var besideValidation = settings["data", "validation_per_class"];
        if (besideValidation.AsInt() > 0 && settings["data", "validation"].AsFloat() > 0)
            Report(Descriptors.ValidationTwice, besideValidation.Span, Show(System.Math.Round(settings["data", "validation"].AsFloat() * 100, 6)) + "%");
        long besides = 0;
        foreach (var (value, what) in new[] { (besideValidation, "data.validation_per_class"), (settings["distill", "transfer"], "distill.transfer") })
        {
            if (value.AsInt() == 0) continue;
            besides += value.AsInt();
            if (perClass > 0 && regime.Name == "few_shot" && regime.Int("per_class") <= perClass && regime.Int("per_class") + besides > perClass)
            {
                Report(Descriptors.TooManyShots, value.Span, "few_shot per_class + " + (besides == value.AsInt() ? what : "data.validation_per_class + distill.transfer"), regime.Int("per_class") + besides, shotsFrom, perClass);
                break;
            }
        }
        if (perClass > 0 && regime.Name == "long_tail" && regime.Int("max_per_class") > perClass)
            Report(Descriptors.TooManyShots, regime.Required("max_per_class").Span, "long_tail max_per_class", regime.Int("max_per_class"), shotsFrom, perClass);

        // Teacher weights: the pretrain stage or a checkpoint, never both.
        var weights = settings.Form("teacher", "weights");
        var pretrainValue = settings.Optional("teacher", "pretrain");
        if (weights.Name == "checkpoint" && pretrainValue is not null)
            Report(Descriptors.PretrainWithCheckpoint, pretrainValue.Span);
        if (weights.Name == "pretrain" && pretrainValue is null)
            Report(Descriptors.MissingRequired, weights.Span, "`teacher.pretrain`",
                "pretraining stage on the upstream split, unless the teacher starts from a checkpoint; add e.g. `pretrain upstream(classes: 0..4)`, or `weights checkpoint(path: \"teacher.safetensors\")`");
        var inputs = string.IsNullOrEmpty(projectDirectory) ? SafeDirectory(path) : projectDirectory;
        CheckCheckpoint(weights, inputs, Report);
        CheckCheckpoint(settings.Form("distill", "student_weights"), inputs, Report);

        // A recipe that reserves a downstream pool declares the overlap on purpose (a teacher
        // pretrained on the downstream classes, from images the downstream draws never use).
        if (pretrain is not null && reserve == 0)
        {
            var upstream = pretrain.Ints("classes");
            if (upstream.Intersect(classes).Any())
                Report(Descriptors.OverlappingClasses, settings["data", "classes"].Span, Show(upstream), Show(classes));
        }

        // A source that knows its class count has it checked here; an image folder's is counted at run time.
        if (facts is { Classes: > 0 })
        {
            CheckClasses(settings["data", "classes"], "data.classes", title, facts.Classes, Report);
            if (pretrain is not null)
                CheckClasses(pretrain.Required("classes"), "teacher.pretrain.classes", title, facts.Classes, Report);
        }

        AnalyzeChecks.Run(schema, settings, facts, Report);
    }

    private static string? SafeDirectory(string path)
    {
        try { return System.IO.Path.GetDirectoryName(path); }
        catch (System.ArgumentException) { return null; }
    }

    // The file may appear before the run (a download step, another machine), so a missing file is
    // only a warning here; the runtime fails with the file's name. A relative path is relative to
    // the project folder, here and at run time (the generated recipe carries that folder).
    private static void CheckCheckpoint(BoundForm weights, string? folder, System.Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        if (weights.Name != "checkpoint") return;
        var argument = weights.Required("path");
        var file = ((StringValue)((BoundScalar)argument).Value).Value;
        string resolved;
        try
        {
            resolved = System.IO.Path.IsPathRooted(file) || string.IsNullOrEmpty(folder) ? file : System.IO.Path.Combine(folder, file);
        }
        catch (System.ArgumentException)
        {
            resolved = file;
        }
        if (!System.IO.File.Exists(resolved))
            report(Descriptors.MissingCheckpoint, argument.Span, new object[] { file, resolved });
    }

    private static void CheckClasses(BoundValue classes, string label, string title, int count, System.Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        var values = classes.AsInts();
        for (int i = 0; i < values.Count; i++)
            if (values[i] >= count)
            {
                var at = classes.ItemSpans is { } spans && spans.Count == values.Count ? spans[i] : classes.Span;
                report(Descriptors.BadClassList, at, new object[] { $"class {values[i]} in `{label}` does not exist; {title} has classes 0..{count - 1}" });
                return;
            }
    }

    private static string Show(IEnumerable<int> classes) => "[" + string.Join(", ", classes) + "]";

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
