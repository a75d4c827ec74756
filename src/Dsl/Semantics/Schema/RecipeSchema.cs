using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Model;

namespace MiDistill.Dsl.Semantics.Schema;

/// <summary>
/// What recipes can say: the sections and their settings (declared on the runtime's section
/// records) and the forms a choice setting takes (students, losses, optimizers, data sources, ...,
/// declared on the runtime's and the user's own records), both read through a <see cref="FormCatalog"/>;
/// and what the language defines itself, here: the keywords, the built-in `vit` teacher with its
/// presets, and the few choices whose forms the runtime's own code tells apart (see <see cref="BuiltInChoice"/>).
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
    private readonly Dictionary<string, ChoiceType> _builtInChoices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EnumDecl> _enums;
    private readonly Dictionary<string, string> _choiceTypes;
    private readonly Dictionary<string, List<FormDecl>> _forms;
    private readonly Dictionary<string, SettingsDecl> _settingRecords;
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
        _settingRecords = catalog.SettingRecords.GroupBy(r => r.ClrType).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
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
        Sections = BuildSections(catalog.Sections);
        foreach (var forms in _forms.Values) foreach (var form in forms) CheckDefaults(form);
    }

    // Sections are listed by their declared order; each section's settings as its record declares them.
    private IReadOnlyList<Section> BuildSections(EquatableArray<SectionDecl> declared)
    {
        if (declared.Count == 0)
            throw new InvalidOperationException("the runtime declares no recipe sections; the MiDistill generator and runtime versions do not match");
        var sections = new List<Section>();
        foreach (var decl in declared.OrderBy(s => s.Order).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            if (!IsRecipeName(decl.Name) || decl.Name is VariantsKeyword or SweepKeyword)
                _problems.Add(new CatalogProblem(decl.ClrType, $"`{decl.Name}` cannot name a section; use lower-case letters, digits and `_`, starting with a letter, other than `{VariantsKeyword}` and `{SweepKeyword}`"));
            else if (sections.FirstOrDefault(s => s.Name == decl.Name) is { } first)
                _problems.Add(new CatalogProblem(decl.ClrType, $"the section `{decl.Name}` is already declared by {first.ClrType.Replace("global::", "")}; give this one another name"));
            else
                sections.Add(new Section(decl.Name, decl.Doc, decl.ClrType, decl.ClrProperty, Settings(decl.ClrType, decl.Name, decl.Settings)));
        }
        return sections;
    }

    // Settings declared on a record's properties; a default is recipe text written in C#, bound once
    // here, so one that does not fit is reported at its record (as a form argument's is).
    private IReadOnlyList<Argument> Settings(string clrType, string label, EquatableArray<ArgDecl> declared)
    {
        var settings = new List<Argument>();
        foreach (var decl in declared)
        {
            if (settings.Any(s => s.Name == decl.Name))
            {
                _problems.Add(new CatalogProblem(clrType, $"the setting `{decl.Name}` of `{label}` is declared twice; give {decl.ClrName} another name"));
                continue;
            }
            var setting = ToArgument(decl);
            settings.Add(setting);
            var why = setting.Default is null ? null : ValueBinder.CheckDefault(setting.Default, setting.Type, label + "." + setting.Name);
            if (why is not null)
                _problems.Add(new CatalogProblem(clrType, $"the default `{setting.Default}` of setting `{setting.Name}` of `{label}` is not valid: {why}"));
        }
        return settings;
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

    private Argument ToArgument(ArgDecl a) => new(a.Name, TypeOf(a), a.Default, a.ClrName, a.Doc, a.DefaultDoc) { PerProcess = a.PerProcess };

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
            case ArgKind.Form: return BuiltInChoice(a.Ref) ?? Choice(a.Ref);
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

    /// <summary>
    /// The choices the language defines itself: the teacher model (the built-in `vit` joins the
    /// declared `teacher_model` forms), and the choices a setting names with
    /// <c>[RecipeSetting(Choice = ...)]</c> because the runtime's own code tells their forms apart
    /// (pretraining, where the weights come from, the selection protocol, the cross-check's `none`),
    /// so no project can add one. Null for a choice only records declare.
    /// </summary>
    private ChoiceType? BuiltInChoice(string id)
    {
        if (_builtInChoices.TryGetValue(id, out var existing)) return existing;
        ChoiceType? choice = id switch
        {
            "teacher_model" => TeacherModel(),
            "pretrain" => Pretrain(),
            "teacher_weights" => TeacherWeights(),
            "student_weights" => StudentWeights(),
            "protocol" => Protocol,
            "cross_check" => CrossCheck(),
            _ => null,
        };
        if (choice is not null) _builtInChoices[id] = choice;
        return choice;
    }

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

    // One form whose arguments are PretrainOptions' settings; the language defines the choice
    // because the runtime decides from `teacher.weights` whether a teacher is pretrained at all.
    private ChoiceType Pretrain() => new("pretrain", new[]
    {
        new Form("upstream", "Supervised pretraining on an upstream split of the training images, cached on disk and reused by every run with the same teacher, pretraining settings and upstream images.", O + "PretrainOptions",
            SettingsOf(O + "PretrainOptions", "upstream"), Positional: false),
    });

    private IReadOnlyList<Argument> SettingsOf(string clrType, string label) =>
        _settingRecords.TryGetValue(clrType, out var record)
            ? Settings(clrType, label, record.Settings)
            : throw new InvalidOperationException($"the runtime declares no settings on {clrType.Replace("global::", "")}; the MiDistill generator and runtime versions do not match");

    // One instance for both checkpoint forms: the docs list its forms once, under the first setting.
    private ChoiceType? _normalization;
    private ChoiceType Normalization => _normalization ??= EnumChoice(O + "Normalization");

    private Form CheckpointForm(string normalizeDefault) =>
        new("checkpoint", "Weights from a state dict file (.safetensors, or a torch.save .pth/.bin) with the architecture's PyTorch parameter names; the classifier head is replaced when the class count differs. A relative path is relative to the project folder, at build time and at run time.", O + "CheckpointWeights", new[]
        {
            new Argument("path", new StringType(), null, "Path", "the checkpoint file"),
            new Argument("normalize", Normalization, normalizeDefault, "Normalize", "input normalisation the checkpoint was trained with"),
        });

    // The runtime tells these forms apart (a checkpoint skips pretraining and is loaded by the
    // stages), and the checkpoint's normalisation defaults differ between teacher and student.
    private ChoiceType TeacherWeights() => new("weights", new[]
    {
        new Form("pretrain", "The weights the `pretrain` stage produces (and caches).", O + "PretrainStageWeights", new Argument[0]),
        CheckpointForm("inception"),
    });

    private ChoiceType StudentWeights() => new("weights", new[]
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
}
