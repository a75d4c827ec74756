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

    public BoundValue this[SettingPath path] => _values[(path.Section, path.Setting)];

    public BoundValue? Optional(SettingPath path) => _values.TryGetValue((path.Section, path.Setting), out var v) ? v : null;

    public BoundForm Form(SettingPath path) => this[path].AsForm();

    public long Int(SettingPath path) => this[path].AsInt();

    public void Set(SettingPath path, BoundValue value) => _values[(path.Section, path.Setting)] = value;
}

/// <summary>Checks that involve more than one setting, run on every variant after its overrides.</summary>
internal static class RecipeChecks
{
    /// <summary>Fills the ViT dimensions the recipe left out from the chosen preset.</summary>
    public static void CompleteTeacher(VariantSettings settings)
    {
        var vit = settings.Form(Paths.TeacherModel);
        if (!vit.Is(Paths.Vit)) return;  // a project's own teacher model has no presets
        var preset = VitPresets.Find(vit.FormArg(Paths.VitPreset).Name)!;
        var filled = vit;
        void Fill(ArgPath argument, ResolvedValue value)
        {
            if (filled.Argument(argument) is null) filled = filled.With(argument, new BoundScalar(value, vit.Span));
        }
        Fill(Paths.VitImageSize, new IntValue(preset.ImageSize));
        Fill(Paths.VitPatch, new IntValue(preset.PatchSize));
        Fill(Paths.VitChannels, new IntValue(preset.Channels));
        Fill(Paths.VitDim, new IntValue(preset.EmbedDim));
        Fill(Paths.VitDepth, new IntValue(preset.Depth));
        Fill(Paths.VitHeads, new IntValue(preset.Heads));
        Fill(Paths.VitMlpRatio, new FloatValue(preset.MlpRatio));
        settings.Set(Paths.TeacherModel, filled);
    }

    public static void Run(RecipeSchema schema, VariantSettings settings, string path, List<DslDiagnostic> diagnostics, string? projectDirectory = null)
    {
        void Report(DiagnosticDescriptor d, SourceSpan span, params object[] args) => diagnostics.Add(DslDiagnostic.Create(d, path, span, args));

        void CheckStepSchedule(BoundForm schedule, long epochs, string label)
        {
            if (!schedule.Is(Paths.StepSchedule)) return;
            long every = schedule.Int(Paths.StepEvery);
            if (every >= epochs)
                Report(Descriptors.StepNeverDecays, schedule.Required(Paths.StepEvery).Span, every, label, epochs);
        }

        void CheckAugmentOrder(BoundValue augment, string label)
        {
            if (augment is not BoundFormList list) return;
            bool mixed = false;
            foreach (var item in list.Items)
            {
                if (mixed) Report(Descriptors.MixupAlone, item.Span, item.Form.Name, label);
                if (item.Form.Name == Paths.Mixup.Form) mixed = true;
            }
        }

        // Teacher shape: known at build time for the built-in ViT; a project's own teacher model
        // checks itself when it is built (its depth is then unknown here, and so are the checks on it).
        var vit = settings.Form(Paths.TeacherModel);
        long? depth = null;
        string preset = vit.Name;
        if (vit.Is(Paths.Vit))
        {
            long dim = vit.Int(Paths.VitDim), heads = vit.Int(Paths.VitHeads), image = vit.Int(Paths.VitImageSize), patch = vit.Int(Paths.VitPatch);
            depth = vit.Int(Paths.VitDepth);
            preset = vit.FormArg(Paths.VitPreset).Name;
            if (dim % heads != 0)
                Report(Descriptors.BadTeacherShape, vit.Required(Paths.VitHeads).Span, $"the teacher's width dim = {dim} is not divisible by heads = {heads}; choose heads that divide {dim}");
            if (image % patch != 0)
                Report(Descriptors.BadTeacherShape, vit.Required(Paths.VitPatch).Span, $"patch = {patch} does not divide image_size = {image}; choose a patch size that divides {image}");
            if (dim * depth > VitPresets.LargeForCpu && !settings.Form(Paths.RunDevice).Is(Paths.Cuda))
                Report(Descriptors.LargeTeacherOnCpu, vit.Span, preset, depth, dim);
        }

        // Fine-tuning.
        var reweight = settings.Form(Paths.FinetuneReweight);
        if (reweight.Is(Paths.MlpReweight))
        {
            long top = reweight.Int(Paths.MlpTop);
            if (depth is not null && top > depth)
                Report(Descriptors.ReweightTooDeep, reweight.Required(Paths.MlpTop).Span, top, depth, preset);
            if (reweight.Float(Paths.MlpAlpha) == 1.0)
                Report(Descriptors.ReweightNoEffect, reweight.Required(Paths.MlpAlpha).Span);
        }
        if (reweight.Is(Paths.AllBlocksReweight) && reweight.Float(Paths.AllBlocksAlpha) == 1.0)
            Report(Descriptors.ReweightNoEffect, reweight.Required(Paths.AllBlocksAlpha).Span);
        var objective = settings.Form(Paths.FinetuneObjective);
        if (objective.Is(Paths.Sam) && objective.Float(Paths.SamRho) < 0.01)
            Report(Descriptors.SmallRho, objective.Required(Paths.SamRho).Span, Show(objective.Float(Paths.SamRho)));

        var protocol = settings.Form(Paths.EvaluateProtocol);
        if (protocol.Is(Paths.PaperProtocol))
        {
            long epochs = settings.Int(Paths.FinetuneEpochs);
            var kept = protocol.Required(Paths.PaperCheckpoints);
            foreach (var epoch in kept.AsInts().Where(e => e > epochs).Take(1))
                Report(Descriptors.CheckpointAfterLastEpoch, kept.Span, epoch, epochs);
        }
        if (reweight.Is(Paths.MlpBlocksReweight))
        {
            var alphas = reweight.Floats(Paths.MlpBlocksAlphas);
            if (depth is not null && alphas.Count != depth)
                Report(Descriptors.ReweightAlphasDepth, reweight.Required(Paths.MlpBlocksAlphas).Span, alphas.Count, depth, preset);
            else if (alphas.All(a => a == 1.0))
                Report(Descriptors.AlphasAllOne, reweight.Required(Paths.MlpBlocksAlphas).Span);
        }
        if (objective.Is(Paths.Asam) && objective.Float(Paths.AsamRho) < 0.1)
            Report(Descriptors.SmallAsamRho, objective.Required(Paths.AsamRho).Span, Show(objective.Float(Paths.AsamRho)));
        foreach (var (schedule, epochs, augment) in new[] { (Paths.FinetuneSchedule, Paths.FinetuneEpochs, Paths.FinetuneAugment), (Paths.DistillSchedule, Paths.DistillEpochs, Paths.DistillAugment) })
        {
            CheckStepSchedule(settings.Form(schedule), settings.Int(epochs), schedule.ToString());
            CheckAugmentOrder(settings[augment], augment.ToString());
        }
        var pretrain = settings.Optional(Paths.TeacherPretrain) as BoundForm;
        if (pretrain is not null)
            CheckStepSchedule(pretrain.FormArg(Paths.UpstreamSchedule), pretrain.Int(Paths.UpstreamEpochs), "teacher.pretrain.schedule");

        // Data: what the source declares it has (Fashion-MNIST: 10 classes of 6,000 training images).
        var source = settings.Form(Paths.DataSource);
        var facts = source.Form.Facts;
        var title = facts is { Title.Length: > 0 } ? facts.Title : $"`{source.Name}`";
        var classes = settings[Paths.DataClasses].AsInts();
        var regime = settings.Form(Paths.DataRegime);
        long perClass = facts?.TrainImagesPerClass ?? 0;
        var shotsFrom = title;
        long reserve = settings.Int(Paths.DataReserve);
        if (reserve > 0 && (perClass == 0 || reserve < perClass))
        {
            // The labelled draws come from the reserved pool, so it bounds them.
            perClass = reserve;
            shotsFrom = "the `data.reserve` pool";
        }
        if (perClass > 0 && regime.Is(Paths.FewShot) && regime.Int(Paths.FewShotPerClass) > perClass)
            Report(Descriptors.TooManyShots, regime.Required(Paths.FewShotPerClass).Span, "few_shot per_class", regime.Int(Paths.FewShotPerClass), shotsFrom, perClass);
        // Validation beside the budget and the transfer set come from the same images as the labelled draw.
        var besideValidation = settings[Paths.DataValidationPerClass];
        if (besideValidation.AsInt() > 0 && settings[Paths.DataValidation].AsFloat() > 0)
            Report(Descriptors.ValidationTwice, besideValidation.Span, Show(System.Math.Round(settings[Paths.DataValidation].AsFloat() * 100, 6)) + "%");
        long besides = 0;
        foreach (var (value, what) in new[] { (besideValidation, "data.validation_per_class"), (settings[Paths.DistillTransfer], "distill.transfer") })
        {
            if (value.AsInt() == 0) continue;
            besides += value.AsInt();
            if (perClass > 0 && regime.Is(Paths.FewShot) && regime.Int(Paths.FewShotPerClass) <= perClass && regime.Int(Paths.FewShotPerClass) + besides > perClass)
            {
                Report(Descriptors.TooManyShots, value.Span, "few_shot per_class + " + (besides == value.AsInt() ? what : "data.validation_per_class + distill.transfer"), regime.Int(Paths.FewShotPerClass) + besides, shotsFrom, perClass);
                break;
            }
        }
        if (perClass > 0 && regime.Is(Paths.LongTail) && regime.Int(Paths.LongTailMaxPerClass) > perClass)
            Report(Descriptors.TooManyShots, regime.Required(Paths.LongTailMaxPerClass).Span, "long_tail max_per_class", regime.Int(Paths.LongTailMaxPerClass), shotsFrom, perClass);

        // Teacher weights: the pretrain stage or a checkpoint, never both.
        var weights = settings.Form(Paths.TeacherWeights);
        var pretrainValue = settings.Optional(Paths.TeacherPretrain);
        if (weights.Is(Paths.CheckpointWeights) && pretrainValue is not null)
            Report(Descriptors.PretrainWithCheckpoint, pretrainValue.Span);
        if (weights.Is(Paths.PretrainWeights) && pretrainValue is null)
            Report(Descriptors.MissingRequired, weights.Span, "`teacher.pretrain`",
                "pretraining stage on the upstream split, unless the teacher starts from a checkpoint; add e.g. `pretrain upstream(classes: 0..4)`, or `weights checkpoint(path: \"teacher.safetensors\")`");
        var inputs = string.IsNullOrEmpty(projectDirectory) ? SafeDirectory(path) : projectDirectory;
        CheckCheckpoint(weights, inputs, Report);
        CheckCheckpoint(settings.Form(Paths.DistillStudentWeights), inputs, Report);

        // A recipe that reserves a downstream pool declares the overlap on purpose (a teacher
        // pretrained on the downstream classes, from images the downstream draws never use).
        if (pretrain is not null && reserve == 0)
        {
            var upstream = pretrain.Ints(Paths.UpstreamClasses);
            if (upstream.Intersect(classes).Any())
                Report(Descriptors.OverlappingClasses, settings[Paths.DataClasses].Span, Show(upstream), Show(classes));
        }

        // A source that knows its class count has it checked here; an image folder's is counted at run time.
        if (facts is { Classes: > 0 })
        {
            CheckClasses(settings[Paths.DataClasses], "data.classes", title, facts.Classes, Report);
            if (pretrain is not null)
                CheckClasses(pretrain.Required(Paths.UpstreamClasses), "teacher.pretrain.classes", title, facts.Classes, Report);
        }
        // An image folder counts its classes when the build can see it: its class folders are the classes.
        else if (source.Is(Paths.ImageFolder) && ImageFolderClasses(settings[Paths.DataPath], inputs, Report) is { } folder)
        {
            CheckClasses(settings[Paths.DataClasses], "data.classes", folder.Title, folder.Classes, Report);
            if (pretrain is not null)
                CheckClasses(pretrain.Required(Paths.UpstreamClasses), "teacher.pretrain.classes", folder.Title, folder.Classes, Report);
        }

        TeacherCacheChecks.Run(settings, classes.Count, Report);
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
        // The teacher's and the student's weights share one choice: its `checkpoint` form and `path`.
        if (!weights.Is(Paths.CheckpointWeights)) return;
        var argument = weights.Required(Paths.CheckpointPath);
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

    /// <summary>
    /// The class folders of an image folder the build can see (its `train/` subfolders, as the
    /// runtime counts them), or null with MD0206 when the folder or its splits are missing. Like a
    /// checkpoint, the folder may appear before the run, or `--data` may point elsewhere: a warning.
    /// </summary>
    private static (string Title, int Classes)? ImageFolderClasses(BoundValue path, string? folder, System.Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        var text = ((StringValue)((BoundScalar)path).Value).Value;
        if (text.Length == 0) return null;  // the runtime says that an image folder needs a path
        string resolved;
        try
        {
            resolved = System.IO.Path.IsPathRooted(text) || string.IsNullOrEmpty(folder) ? text : System.IO.Path.Combine(folder, text);
        }
        catch (System.ArgumentException)
        {
            return null;
        }
        if (!System.IO.Directory.Exists(resolved))
        {
            report(Descriptors.MissingImageFolder, path.Span, new object[] { Printable(text), "does not exist", Printable(resolved) });
            return null;
        }
        foreach (var split in new[] { "train", "test" })
            if (!System.IO.Directory.Exists(System.IO.Path.Combine(resolved, split)))
            {
                report(Descriptors.MissingImageFolder, path.Span, new object[] { Printable(text), $"has no `{split}/` folder", Printable(resolved) });
                return null;
            }
        int classes = System.IO.Directory.GetDirectories(System.IO.Path.Combine(resolved, "train")).Length;
        return classes == 0 ? null : ($"the image folder \"{Printable(text)}\" ({classes} class folders in train/)", classes);
    }

    /// <summary>A path as a one-line message shows it: control characters and line separators (a newline in a string) escaped.</summary>
    private static string Printable(string text)
    {
        var printable = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
            printable.Append(char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString());
        return printable.ToString();
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
