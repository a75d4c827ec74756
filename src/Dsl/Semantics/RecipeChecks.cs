using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>Checks that involve more than one setting, run on every variant after its overrides.</summary>
internal static class RecipeChecks
{
    private static readonly (string, string) TeacherModel = ("teacher", "model");

    /// <summary>Fills the ViT dimensions the recipe left out from the chosen preset.</summary>
    public static void CompleteTeacher(Dictionary<(string, string), BoundValue> settings)
    {
        if (settings[TeacherModel] is not BoundForm vit) return;
        var preset = VitPresets.Find(((BoundForm)vit.Argument("preset")!).Form.Name)!;
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
        settings[TeacherModel] = filled;
    }

    public static void Run(Dictionary<(string, string), BoundValue> settings, string path, List<DslDiagnostic> diagnostics)
    {
        void Report(DiagnosticDescriptor d, SourceSpan span, params object[] args) => diagnostics.Add(DslDiagnostic.Create(d, path, span, args));
        System.Action<DiagnosticDescriptor, SourceSpan, object[]> report = Report;

        void CheckStepSchedule(BoundValue schedule, long epochs, string label)
        {
            if (schedule is not BoundForm { Form.Name: "step" } step) return;
            long every = ((IntValue)((BoundScalar)step.Argument("every")!).Value).Value;
            if (every >= epochs)
                Report(Descriptors.StepNeverDecays, step.Argument("every")!.Span, every, label, epochs);
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

        // Teacher shape.
        var vit = (BoundForm)settings[TeacherModel];
        long Int(BoundForm form, string name) => ((IntValue)((BoundScalar)form.Argument(name)!).Value).Value;
        SourceSpan SpanOf(BoundForm form, string name) => form.Argument(name)!.Span;
        long depth = Int(vit, "depth"), dim = Int(vit, "dim"), heads = Int(vit, "heads");
        long image = Int(vit, "image_size"), patch = Int(vit, "patch");
        string preset = ((BoundForm)vit.Argument("preset")!).Form.Name;
        if (dim % heads != 0)
            Report(Descriptors.BadTeacherShape, SpanOf(vit, "heads"), $"the teacher's width dim = {dim} is not divisible by heads = {heads}; choose heads that divide {dim}");
        if (image % patch != 0)
            Report(Descriptors.BadTeacherShape, SpanOf(vit, "patch"), $"patch = {patch} does not divide image_size = {image}; choose a patch size that divides {image}");
        var device = ((BoundForm)settings[("run", "device")]).Form.Name;
        if (dim * depth > VitPresets.LargeForCpu && device != "cuda")
            Report(Descriptors.LargeTeacherOnCpu, vit.Span, preset, depth, dim);

        // Fine-tuning.
        if (settings[("finetune", "reweight")] is BoundForm { Form.Name: "mlp" } reweight)
        {
            long top = Int(reweight, "top");
            if (top > depth)
                Report(Descriptors.ReweightTooDeep, SpanOf(reweight, "top"), top, depth, preset);
            var alpha = ((FloatValue)((BoundScalar)reweight.Argument("alpha")!).Value).Value;
            if (alpha == 1.0)
                Report(Descriptors.ReweightNoEffect, SpanOf(reweight, "alpha"));
        }
        if (settings[("finetune", "objective")] is BoundForm { Form.Name: "sam" } sam)
        {
            var rho = ((FloatValue)((BoundScalar)sam.Argument("rho")!).Value).Value;
            if (rho < 0.01)
                Report(Descriptors.SmallRho, SpanOf(sam, "rho"), rho.ToString("R", CultureInfo.InvariantCulture));
        }

        if (settings[("evaluate", "protocol")] is BoundForm { Form.Name: "paper" } paper)
        {
            long epochs = ((IntValue)((BoundScalar)settings[("finetune", "epochs")]).Value).Value;
            var kept = (BoundScalar)paper.Argument("checkpoints")!;
            foreach (var epoch in ((IntListValue)kept.Value).Values.Where(e => e > epochs).Take(1))
                Report(Descriptors.CheckpointAfterLastEpoch, kept.Span, epoch, epochs);
        }
        if (settings[("finetune", "reweight")] is BoundForm { Form.Name: "mlp_blocks" } blocks)
        {
            var alphas = ((FloatListValue)((BoundScalar)blocks.Argument("alphas")!).Value).Values;
            if (alphas.Count != depth)
                Report(Descriptors.ReweightAlphasDepth, SpanOf(blocks, "alphas"), alphas.Count, depth, preset);
            else if (alphas.All(a => a == 1.0))
                Report(Descriptors.AlphasAllOne, SpanOf(blocks, "alphas"));
        }
        if (settings[("finetune", "objective")] is BoundForm { Form.Name: "asam" } asam)
        {
            var rho = ((FloatValue)((BoundScalar)asam.Argument("rho")!).Value).Value;
            if (rho < 0.1)
                Report(Descriptors.SmallAsamRho, SpanOf(asam, "rho"), rho.ToString("R", CultureInfo.InvariantCulture));
        }
        foreach (var stage in new[] { "finetune", "distill" })
        {
            CheckStepSchedule(settings[(stage, "schedule")], Int2(settings[(stage, "epochs")]), stage + ".schedule");
            CheckAugmentOrder(settings[(stage, "augment")], stage + ".augment");
        }
        if (settings.TryGetValue(("teacher", "pretrain"), out var pretrainSetting) && pretrainSetting is BoundForm upstreamForm)
            CheckStepSchedule(upstreamForm.Argument("schedule")!, Int(upstreamForm, "epochs"), "teacher.pretrain.schedule");

        // Data.
        bool builtIn = ((BoundForm)settings[("data", "source")]).Form.Name == "fashion_mnist";
        if (builtIn)
            foreach (var name in new[] { "image_size", "color" })
                if (!settings[("data", name)].FromDefault)
                    Report(Descriptors.FolderSettingOnBuiltIn, settings[("data", name)].Span, name, "Fashion-MNIST");
        var classes = ((IntListValue)((BoundScalar)settings[("data", "classes")]).Value).Values;
        var regime = (BoundForm)settings[("data", "regime")];
        if (builtIn && regime.Form.Name == "few_shot" && Int(regime, "per_class") > RecipeSchema.FashionMnistTrainPerClass)
            Report(Descriptors.TooManyShots, SpanOf(regime, "per_class"), "few_shot per_class", Int(regime, "per_class"), "Fashion-MNIST", RecipeSchema.FashionMnistTrainPerClass);
        if (builtIn && regime.Form.Name == "long_tail" && Int(regime, "max_per_class") > RecipeSchema.FashionMnistTrainPerClass)
            Report(Descriptors.TooManyShots, SpanOf(regime, "max_per_class"), "long_tail max_per_class", Int(regime, "max_per_class"), "Fashion-MNIST", RecipeSchema.FashionMnistTrainPerClass);

        // Teacher weights: the pretrain stage or a checkpoint, never both.
        var weights = (BoundForm)settings[("teacher", "weights")];
        settings.TryGetValue(("teacher", "pretrain"), out var pretrainValue);
        if (weights.Form.Name == "checkpoint" && pretrainValue is not null)
            Report(Descriptors.PretrainWithCheckpoint, pretrainValue.Span);
        if (weights.Form.Name == "pretrain" && pretrainValue is null)
            Report(Descriptors.MissingRequired, weights.Span, "`teacher.pretrain`",
                "pretraining stage on the upstream split, unless the teacher starts from a checkpoint; add e.g. `pretrain upstream(classes: 0..4)`, or `weights checkpoint(path: \"teacher.safetensors\")`");
        CheckCheckpoint(weights, path, report);
        CheckCheckpoint((BoundForm)settings[("distill", "student_weights")], path, report);

        if (pretrainValue is BoundForm pretrain)
        {
            var upstream = ((IntListValue)((BoundScalar)pretrain.Argument("classes")!).Value).Values;
            var shared = upstream.Intersect(classes).ToList();
            if (shared.Count > 0)
                Report(Descriptors.OverlappingClasses, settings[("data", "classes")].Span, Show(upstream), Show(classes));
        }

        // Fashion-MNIST's classes are known at build time; an image folder's are counted at run time.
        if (((BoundForm)settings[("data", "source")]).Form.Name == "fashion_mnist")
        {
            CheckFashionMnistClasses(settings[("data", "classes")], "data.classes", Report);
            if (settings.TryGetValue(("teacher", "pretrain"), out var upstreamSetting) && upstreamSetting is BoundForm upstreamClasses)
                CheckFashionMnistClasses(upstreamClasses.Argument("classes")!, "teacher.pretrain.classes", Report);
        }

        AnalyzeChecks.Run(settings, Report);
    }

    // The file may appear before the run (a download step, another machine), so a missing file is
    // only a warning here; the runtime fails with the file's name. Relative paths resolve against
    // the run's working directory, which the compiler cannot know: they are looked up beside the
    // recipe file, where a project's working directory usually is.
    private static void CheckCheckpoint(BoundForm weights, string recipePath, System.Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        if (weights.Form.Name != "checkpoint") return;
        var argument = (BoundScalar)weights.Argument("path")!;
        var file = ((StringValue)argument.Value).Value;
        string resolved;
        try
        {
            var folder = System.IO.Path.GetDirectoryName(recipePath);
            resolved = System.IO.Path.IsPathRooted(file) || string.IsNullOrEmpty(folder) ? file : System.IO.Path.Combine(folder, file);
        }
        catch (System.ArgumentException)
        {
            resolved = file;
        }
        if (!System.IO.File.Exists(resolved))
            report(Descriptors.MissingCheckpoint, argument.Span, new object[] { file, resolved });
    }

    private static long Int2(BoundValue value) => ((IntValue)((BoundScalar)value).Value).Value;

    private static void CheckFashionMnistClasses(BoundValue classes, string label, System.Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        var values = ((IntListValue)((BoundScalar)classes).Value).Values;
        for (int i = 0; i < values.Count; i++)
            if (values[i] >= RecipeSchema.FashionMnistClasses)
            {
                var at = classes.ItemSpans is { } spans && spans.Count == values.Count ? spans[i] : classes.Span;
                report(Descriptors.BadClassList, at, new object[] { $"class {values[i]} in `{label}` does not exist; Fashion-MNIST has classes 0..{RecipeSchema.FashionMnistClasses - 1}" });
                return;
            }
    }

    private static string Show(IEnumerable<int> classes) => "[" + string.Join(", ", classes) + "]";
}
