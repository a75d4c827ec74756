using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>
/// Resolves one recipe: sections against the schema, defaults, variants (each a copy of the base
/// settings with its overrides), then the cross-setting checks on every variant.
/// </summary>
internal sealed partial class RecipeBinder
{
    public const string DefaultVariantName = "default";

    private readonly string _path;
    private readonly List<DslDiagnostic> _diagnostics;
    private readonly ValueBinder _values;
    private readonly RecipeSchema _schema;

    private readonly string? _projectDirectory;

    public RecipeBinder(string path, List<DslDiagnostic> diagnostics, RecipeSchema schema, string? projectDirectory = null)
    {
        _path = path;
        _schema = schema;
        _projectDirectory = projectDirectory;
        _diagnostics = diagnostics;
        _values = new ValueBinder(path, diagnostics);
    }

    /// <summary>The recipe's spec, or null when it has errors (they are in the diagnostics list).</summary>
    public RecipeSpec? Bind(RecipeNode recipe, string fileName)
    {
        int errorsBefore = ErrorCount();
        var baseSettings = BindSections(recipe);
        if (baseSettings is null) return null;

        var variants = new List<(string Name, int Line, Dictionary<(string, string), BoundValue> Settings)>();
        var variantNodes = recipe.VariantBlocks.SelectMany(b => b.Variants).ToList();
        if (variantNodes.Count == 0)
            variants.Add((DefaultVariantName, recipe.Name.Span.Line, baseSettings));

        var declared = new Dictionary<string, SourceSpan>();
        foreach (var variant in variantNodes)
        {
            if (declared.TryGetValue(variant.Name.Text, out var first))
            {
                Report(Descriptors.DuplicateVariant, variant.Name.Span, variant.Name.Text, recipe.Name.Text);
                continue;
            }
            declared[variant.Name.Text] = variant.Name.Span;
            var settings = new Dictionary<(string, string), BoundValue>(baseSettings);
            foreach (var assignment in variant.Assignments)
                ApplyOverride(variant.Name.Text, assignment, settings);
            variants.Add((variant.Name.Text, variant.Name.Span.Line, settings));
        }
        // A sweep replaces the variants it applies to by one variant per grid point (RecipeBinder.Sweep.cs).
        if (recipe.Sweeps.Count > 0) variants = ExpandSweep(recipe, variants);

        foreach (var variant in variants)
        {
            var typed = new VariantSettings(variant.Settings);
            RecipeChecks.CompleteTeacher(typed);
            RecipeChecks.Run(_schema, typed, _path, _diagnostics, _projectDirectory);
            CheckReference(typed, variants.Select(v => v.Name).ToList());
        }

        Deduplicate();
        if (ErrorCount() > errorsBefore) return null;

        return new RecipeSpec(recipe.Name.Text, fileName, recipe.Name.Span.Line, variants
            .Select(v => new VariantSpec(v.Name, v.Line, ToResolved(v.Settings)))
            .ToEquatableArray());
    }

    // The variant paired statistics compare against must be one of the recipe's variants.
    private void CheckReference(VariantSettings settings, IReadOnlyList<string> variantNames)
    {
        var reference = settings[Paths.EvaluateReference];
        var name = ((StringValue)((BoundScalar)reference).Value).Value;
        if (name.Length == 0 || variantNames.Contains(name)) return;
        Report(Descriptors.UnknownForm, reference.Span, name, "evaluate.reference", Suggestions.DidYouMean(name, variantNames), Suggestions.List(variantNames));
    }

    private Dictionary<(string, string), BoundValue>? BindSections(RecipeNode recipe)
    {
        var settings = new Dictionary<(string, string), BoundValue>();
        var sectionSeen = new Dictionary<string, SourceSpan>();
        var sectionSpans = new Dictionary<string, SourceSpan>();
        bool ok = true;

        foreach (var variantsBlock in recipe.VariantBlocks.Skip(1))
            Report(Descriptors.DuplicateSection, variantsBlock.Keyword.Span, RecipeSchema.VariantsKeyword, recipe.VariantBlocks[0].Keyword.Span.Line);
        foreach (var sweep in recipe.Sweeps.Skip(1))
            Report(Descriptors.DuplicateSection, sweep.Keyword.Span, RecipeSchema.SweepKeyword, recipe.Sweeps[0].Keyword.Span.Line);

        foreach (var section in recipe.Sections)
        {
            var schema = _schema.FindSection(section.Name.Text);
            if (schema is null)
            {
                var names = _schema.Sections.Select(s => s.Name).Concat(new[] { RecipeSchema.VariantsKeyword, RecipeSchema.SweepKeyword }).ToList();
                Report(Descriptors.UnknownSection, section.Name.Span, section.Name.Text, Suggestions.DidYouMean(section.Name.Text, names), Suggestions.List(names));
                ok = false;
                continue;
            }
            if (sectionSeen.TryGetValue(schema.Name, out var firstSection))
            {
                Report(Descriptors.DuplicateSection, section.Name.Span, schema.Name, firstSection.Line);
                ok = false;
                continue;
            }
            sectionSeen[schema.Name] = section.Name.Span;
            sectionSpans[schema.Name] = section.Name.Span;

            var settingSeen = new Dictionary<string, SourceSpan>();
            foreach (var setting in section.Settings)
            {
                var argument = schema.Find(setting.Name.Text);
                if (argument is null)
                {
                    var names = schema.Settings.Select(s => s.Name).ToList();
                    var hint = Suggestions.DidYouMean(setting.Name.Text, names);
                    if (hint.Length == 0) hint = SuggestOtherSection(setting.Name.Text, schema.Name);
                    Report(Descriptors.UnknownSetting, setting.Name.Span, setting.Name.Text, schema.Name, hint, Suggestions.List(names));
                    ok = false;
                    continue;
                }
                if (settingSeen.TryGetValue(argument.Name, out var firstSetting))
                {
                    Report(Descriptors.DuplicateSetting, setting.Name.Span, schema.Name + "." + argument.Name, firstSetting.Line);
                    ok = false;
                    continue;
                }
                settingSeen[argument.Name] = setting.Name.Span;
                var value = _values.Bind(setting.Value, argument.Type, schema.Name + "." + argument.Name);
                if (value is null) ok = false; else settings[(schema.Name, argument.Name)] = value;
            }
        }

        // Defaults and required settings, in schema order.
        foreach (var schema in _schema.Sections)
        {
            var anchor = sectionSpans.TryGetValue(schema.Name, out var s) ? s : recipe.Name.Span;
            foreach (var argument in schema.Settings)
            {
                if (settings.ContainsKey((schema.Name, argument.Name))) continue;
                if (argument.Default is not null)
                    settings[(schema.Name, argument.Name)] = _values.BindDefault(argument.Default, argument.Type, schema.Name + "." + argument.Name, anchor);
                else if (argument.Required && !HasErrorFor(schema.Name, argument.Name, recipe))
                {
                    var where = sectionSpans.ContainsKey(schema.Name) ? $"add it to the `{schema.Name}` section" : $"add `{schema.Name} {{ {argument.Name} ... }}` to the recipe";
                    Report(Descriptors.MissingRequired, anchor, $"`{schema.Name}.{argument.Name}`", $"{argument.Doc}; {where}, e.g. `{argument.Name} {Example(argument)}`");
                    ok = false;
                }
            }
        }
        return ok ? settings : null;
    }

    // A required setting that was written but failed to bind already has its own error.
    private static bool HasErrorFor(string section, string setting, RecipeNode recipe) =>
        recipe.Sections.Any(s => s.Name.Text == section && s.Settings.Any(x => x.Name.Text == setting));

    private static string Example(Argument argument) => argument.Type switch
    {
        ChoiceType c when c.Forms[0].Arguments.Any(a => a.Required) =>
            c.Forms[0].Name + "(" + string.Join(", ", c.Forms[0].Arguments.Where(a => a.Required).Select(a => a.Name + ": " + ExampleValue(a.Type))) + ")",
        ChoiceType c => c.Forms[0].Name,
        var t => ExampleValue(t),
    };

    private static string ExampleValue(SettingType type) => type switch
    {
        ClassListType => "0..4",
        IntType => "10",
        _ => "...",
    };

    private string SuggestOtherSection(string name, string currentSection)
    {
        var owner = _schema.Sections.FirstOrDefault(s => s.Name != currentSection && s.Find(name) is not null);
        return owner is null ? "" : $" (`{name}` belongs in the `{owner.Name}` section)";
    }

    /// <param name="unknown">What a path that does not exist is reported as: MD0110 for a variant's override, MD0160 for a sweep's grid.</param>
    private void ApplyOverride(string variant, AssignmentNode assignment, Dictionary<(string, string), BoundValue> settings, DiagnosticDescriptor? unknown = null)
    {
        unknown ??= Descriptors.UnknownOverride;
        var path = assignment.Path;
        var sectionSchema = _schema.FindSection(path[0].Text);
        if (sectionSchema is null)
        {
            Report(unknown, path[0].Span, variant, assignment.PathText,
                Suggestions.DidYouMean(path[0].Text, _schema.Sections.Select(s => s.Name)));
            return;
        }
        if (path.Count < 2)
        {
            Report(unknown, path[0].Span, variant, assignment.PathText,
                $" as a setting (`{sectionSchema.Name}` is a section; its settings are {Suggestions.List(sectionSchema.Settings.Select(x => x.Name))})");
            return;
        }
        var setting = sectionSchema.Find(path[1].Text);
        if (setting is null)
        {
            Report(unknown, path[1].Span, variant, assignment.PathText,
                Suggestions.DidYouMean(sectionSchema.Name + "." + path[1].Text, sectionSchema.Settings.Select(x => sectionSchema.Name + "." + x.Name)));
            return;
        }

        string label = sectionSchema.Name + "." + setting.Name;
        if (setting.PerProcess)
        {
            // A sweep reports its grid once, where the grid is declared (RecipeBinder.Sweep.cs).
            if (unknown != Descriptors.SweepUnknownPath)
                Report(Descriptors.ProcessSettingInVariant, path[0].Span.To(path[1].Span), label, $"variant `{variant}`", setting.Name);
            return;
        }
        if (path.Count == 2)
        {
            var value = _values.Bind(assignment.Value, setting.Type, label);
            if (value is not null) settings[(sectionSchema.Name, setting.Name)] = value;
            return;
        }

        if (!settings.TryGetValue((sectionSchema.Name, setting.Name), out var current))
        {
            // An optional setting the base recipe leaves out has no arguments to override.
            Report(unknown, path[2].Span, variant, assignment.PathText,
                $" (the recipe sets no `{label}`, so it has no `{path[2].Text}` to change; override the whole setting: `{label} = ...`)");
            return;
        }
        var replaced = OverrideArgument(variant, assignment, current, 2, label, unknown);
        if (replaced is not null) settings[(sectionSchema.Name, setting.Name)] = replaced;
    }

    /// <summary>Replaces the argument at path[index..] inside a form, e.g. finetune.reweight.schedule.epochs.</summary>
    private BoundValue? OverrideArgument(string variant, AssignmentNode assignment, BoundValue current, int index, string label, DiagnosticDescriptor unknown)
    {
        var name = assignment.Path[index];
        if (current is not BoundForm form || form.Form.Find(name.Text) is not { } argument)
        {
            var candidates = current is BoundForm f ? f.Form.Arguments.Select(a => a.Name) : Enumerable.Empty<string>();
            var formName = current is BoundForm cf ? $" (the base value `{cf.Form.Name}` has {(cf.Form.Arguments.Count == 0 ? "no arguments" : "arguments " + Suggestions.List(candidates))})" : "";
            Report(unknown, name.Span, variant, assignment.PathText, Suggestions.DidYouMean(name.Text, candidates) + formName);
            return null;
        }
        label += "." + argument.Name;
        if (index == assignment.Path.Count - 1)
        {
            var value = _values.Bind(assignment.Value, argument.Type, label);
            return value is null ? null : form.With(argument.Name, value);
        }
        var inner = form.Argument(argument.Name);
        if (inner is null) return null;
        var replaced = OverrideArgument(variant, assignment, inner, index + 1, label, unknown);
        return replaced is null ? null : form.With(argument.Name, replaced);
    }

    private EquatableArray<ResolvedSetting> ToResolved(Dictionary<(string, string), BoundValue> settings) =>
        _schema.Sections
            .SelectMany(section => section.Settings.Select(setting => (section.Name, setting.Name)))
            // Optional settings without a default (e.g. `pretrain` beside a checkpoint) stay absent.
            .Where(settings.ContainsKey)
            .Select(key => new ResolvedSetting(key.Item1, key.Item2, settings[key].ToResolved(), settings[key].FromDefault ? 0 : settings[key].Span.Line))
            .ToEquatableArray();

    // Every variant re-runs the cross-setting checks, so an error in the base settings would
    // otherwise be reported once per variant.
    private void Deduplicate()
    {
        var unique = _diagnostics.Distinct().ToList();
        _diagnostics.Clear();
        _diagnostics.AddRange(unique);
    }

    private int ErrorCount() => _diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);

    private void Report(DiagnosticDescriptor descriptor, SourceSpan span, params object[] args) =>
        _diagnostics.Add(DslDiagnostic.Create(descriptor, _path, span, args));
}
