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

        // Data.
        var classes = ((IntListValue)((BoundScalar)settings[("data", "classes")]).Value).Values;
        var regime = (BoundForm)settings[("data", "regime")];
        if (regime.Form.Name == "few_shot" && Int(regime, "per_class") > RecipeSchema.FashionMnistTrainPerClass)
            Report(Descriptors.TooManyShots, SpanOf(regime, "per_class"), "few_shot per_class", Int(regime, "per_class"), "Fashion-MNIST", RecipeSchema.FashionMnistTrainPerClass);
        if (regime.Form.Name == "long_tail" && Int(regime, "max_per_class") > RecipeSchema.FashionMnistTrainPerClass)
            Report(Descriptors.TooManyShots, SpanOf(regime, "max_per_class"), "long_tail max_per_class", Int(regime, "max_per_class"), "Fashion-MNIST", RecipeSchema.FashionMnistTrainPerClass);

        var pretrain = (BoundForm)settings[("teacher", "pretrain")];
        var upstream = ((IntListValue)((BoundScalar)pretrain.Argument("classes")!).Value).Values;
        var shared = upstream.Intersect(classes).ToList();
        if (shared.Count > 0)
            Report(Descriptors.OverlappingClasses, settings[("data", "classes")].Span, Show(upstream), Show(classes));

        AnalyzeChecks.Run(settings, Report);
    }

    private static string Show(IEnumerable<int> classes) => "[" + string.Join(", ", classes) + "]";
}
