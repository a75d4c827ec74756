using System;
using System.Linq;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Semantics.Schema;

namespace MiDistill.Dsl.Generator.Emit;

/// <summary>
/// Emits one partial class per recipe. Generated code stays thin: it builds the runtime's option
/// records from the recipe's values and hands them to the runtime; every behaviour lives there.
/// </summary>
internal static class RecipeEmitter
{
    public const string Namespace = "MiDistill.Recipes";
    private const string Options = "global::MiDistill.Runtime.Options.";
    private const string Training = "global::MiDistill.Runtime.Training.";
    private static readonly string GeneratedCode =
        $"[global::System.CodeDom.Compiler.GeneratedCode({CSharp.String(GeneratorVersion.Name)}, {CSharp.String(GeneratorVersion.Value)})]";

    public static string HintName(RecipeSpec recipe) => CSharp.RecipeClass(recipe.Name) + ".g.cs";

    /// <summary>Named after the file's first emitted recipe, not the file: two folders may each hold a
    /// `recipes.distill`, but recipe classes are unique across the project (MD0108, MD0150).</summary>
    public static string SourcesHintName(string firstRecipe) => "RecipeSources." + CSharp.Pascal(firstRecipe) + ".g.cs";

    public static string Emit(RecipeSpec recipe, RecipeSchema schema, string projectDirectory = "")
    {
        var className = CSharp.RecipeClass(recipe.Name);
        var w = new CodeWriter();
        FileHeader(w);
        w.Open("namespace " + Namespace);
        w.Line($"/// <summary>Recipe <c>{CSharp.Comment(recipe.Name)}</c> from {CSharp.Comment(recipe.FileName)}, line {recipe.Line}.</summary>");
        w.Line("/// <remarks>Generated from the recipe; add members in a partial class of your own (for example <c>OnEpochCompleted</c>).</remarks>");
        w.Line(GeneratedCode);
        w.Open($"public sealed partial class {className} : {Training}IRecipe");
        w.Line($"public const string RecipeName = {CSharp.String(recipe.Name)};");
        w.Line($"public const string FileName = {CSharp.String(recipe.FileName)};");
        w.Line();
        w.Line("public string Name => RecipeName;");
        w.Line("public string SourceFileName => FileName;");
        w.Line("/// <summary>Relative input paths of the recipe (checkpoints, data) are relative to this folder, as at build time.</summary>");
        w.Line("public string? ProjectDirectory => " + (projectDirectory.Length == 0 ? "null" : CSharp.String(projectDirectory)) + ";");
        w.Line($"public string SourceText => global::{Namespace}.{ClrNames.SourcesClass}.{ClrNames.SourcesMember(recipe.Name)};");
        w.Line();
        w.Line($"/// <summary>Every variant, in the order the recipe declares them.</summary>");
        w.Line($"public global::System.Collections.Generic.IReadOnlyList<{Options}ExperimentOptions> Variants {{ get; }} = new {Options}ExperimentOptions[]");
        w.Open();
        foreach (var variant in recipe.Variants) w.Line($"Settings.{CSharp.Pascal(variant.Name)},");
        w.Close("};");
        w.Line();
        w.Line($"public {Training}ExperimentReport Run({Training}RunRequest request) =>");
        w.Line($"    {Training}Experiment.Run(this, request, Hooks());");
        w.Line();
        w.Line($"public {Training}ExperimentReport Resume(string runFolder, {Training}RunRequest request) =>");
        w.Line($"    {Training}Experiment.Resume(this, runFolder, request, Hooks());");
        w.Line();
        w.Line($"public {Training}Plan.RunPlan Plan() =>");
        w.Line($"    {Training}Experiment.PlanOf(Variants, Hooks());");
        w.Line();
        w.Line($"private {Training}ExperimentHooks Hooks() => new {Training}ExperimentHooks");
        w.Line("{");
        w.Line("    EpochCompleted = report => OnEpochCompleted(report),");
        w.Line("    ConfigurePlan = plan => OnPlan(plan),");
        w.Line("};");
        w.Line();
        w.Line("/// <summary>Called after every epoch of every stage; implement it in your own partial class.</summary>");
        w.Line($"partial void OnEpochCompleted({Training}EpochReport report);");
        w.Line();
        w.Line("/// <summary>Adds steps of your own to the run's plan (<c>plan.InsertAfter(\"distill\", new MyStep())</c>); implement it in your own partial class.</summary>");
        w.Line($"partial void OnPlan({Training}Plan.RunPlanBuilder plan);");
        w.Line();
        w.Line("/// <summary>The typed settings of each variant: every value resolved, defaults included.</summary>");
        w.Open("public static class Settings");
        bool first = true;
        foreach (var variant in recipe.Variants)
        {
            if (!first) w.Line();
            first = false;
            EmitVariant(w, recipe, variant, schema);
        }
        w.Close();
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static void EmitVariant(CodeWriter w, RecipeSpec recipe, VariantSpec variant, RecipeSchema schema)
    {
        w.Line($"// {CSharp.Comment(recipe.FileName)}({variant.Line}): variant {CSharp.Comment(variant.Name)}");
        w.Line($"public static {Options}ExperimentOptions {CSharp.Pascal(variant.Name)} {{ get; }} = new {Options}ExperimentOptions");
        w.Open();
        w.Line($"Recipe = {CSharp.String(recipe.Name)},");
        w.Line($"Variant = {CSharp.String(variant.Name)},");
        foreach (var section in schema.Sections)
        {
            w.Line($"{section.ClrProperty} = new {section.ClrType}");
            w.Open();
            foreach (var setting in section.Settings)
            {
                var resolved = variant.Settings.FirstOrDefault(s => s.Section == section.Name && s.Setting == setting.Name);
                if (resolved is null)
                {
                    // An optional setting the recipe left out (e.g. `pretrain` beside a checkpoint).
                    w.Line($"// {CSharp.Comment(recipe.FileName)}: {section.Name}.{setting.Name} not set");
                    w.Line($"{setting.ClrName} = null,");
                    continue;
                }
                var origin = resolved.Line > 0 ? $"line {resolved.Line}" : "default";
                w.Line($"// {CSharp.Comment(recipe.FileName)} {origin}: {section.Name}.{setting.Name}");
                w.Line($"{setting.ClrName} = {Value(resolved.Value, setting.Type)},");
            }
            w.Close("},");
        }
        w.Close("};");
    }

    private static string Value(ResolvedValue value, SettingType type) => (value, type) switch
    {
        (IntValue v, IntType) => CSharp.Int(v.Value),
        (FloatValue v, _) => CSharp.Double(v.Value),
        (BoolValue v, _) => v.Value ? "true" : "false",
        (StringValue v, _) => CSharp.String(v.Value),
        (IntListValue v, _) => "new int[] { " + string.Join(", ", v.Values.Select(i => CSharp.Int(i))) + " }",
        (NameListValue v, NameListType t) => $"new {t.ClrEnum}[] {{ " +
            string.Join(", ", v.Names.Select(n => t.ClrEnum + "." + t.Members.First(m => m.Name == n).ClrMember)) + " }",
        (FormValue v, ChoiceType t) => Form(v, t),
        (FloatListValue v, _) => "new double[] { " + string.Join(", ", v.Values.Select(CSharp.Double)) + " }",
        (FormListValue { Forms.Count: 0 }, FormListType t) => $"global::System.Array.Empty<{t.ClrElement}>()",
        (FormListValue v, FormListType t) => $"new {t.ClrElement}[] {{ " + string.Join(", ", v.Forms.Select(f => Form(f, t.Item))) + " }",
        _ => throw new InvalidOperationException($"cannot emit {value.GetType().Name} as {type.GetType().Name}"),
    };

    private static string Form(FormValue value, ChoiceType type)
    {
        var form = type.Find(value.Form) ?? throw new InvalidOperationException($"unknown form {value.Form} of {type.Name}");
        switch (type.Emission)
        {
            case ChoiceEmission.Enum: return type.ClrEnum + "." + form.ClrType;
            case ChoiceEmission.Name: return CSharp.String(form.Name);
        }
        var args = form.Arguments
            .Select(a => (Schema: a, Value: value.Argument(a.Name)))
            .Where(a => a.Value is not null)
            .ToList();
        if (form.Positional)
            return $"new {form.ClrType}(" + string.Join(", ", args.Select(a => $"{a.Schema.ClrName}: {Value(a.Value!, a.Schema.Type)}")) + ")";
        return $"new {form.ClrType} {{ " + string.Join(", ", args.Select(a => $"{a.Schema.ClrName} = {Value(a.Value!, a.Schema.Type)}")) + " }";
    }

    public static string EmitRegistry(System.Collections.Generic.IReadOnlyList<string> recipeNames)
    {
        var w = new CodeWriter();
        FileHeader(w);
        w.Open("namespace " + Namespace);
        w.Line("/// <summary>Every recipe this project was built with, ordered by name.</summary>");
        w.Line(GeneratedCode);
        w.Open("public static class RecipeRegistry");
        w.Line($"public static global::System.Collections.Generic.IReadOnlyList<{Training}IRecipe> All {{ get; }} = new {Training}IRecipe[]");
        w.Open();
        foreach (var name in recipeNames.OrderBy(n => n, StringComparer.Ordinal))
            w.Line($"new global::{Namespace}.{CSharp.RecipeClass(name)}(),");
        w.Close("};");
        w.Close();
        w.Close();
        return w.ToString();
    }

    public static string EmitSources(string fileName, System.Collections.Generic.IReadOnlyList<string> recipeNames, string text)
    {
        var w = new CodeWriter();
        FileHeader(w);
        w.Open("namespace " + Namespace);
        // One partial class spans every .distill file; the attribute goes on the members, since a
        // class-level one would be repeated once per file.
        w.Open("internal static partial class RecipeSources");
        foreach (var name in recipeNames)
        {
            w.Line($"/// <summary>The exact text of {CSharp.Comment(fileName)}, as compiled.</summary>");
            w.Line(GeneratedCode);
            w.Line($"internal const string {ClrNames.SourcesMember(name)} = {CSharp.String(text)};");
        }
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static void FileHeader(CodeWriter w)
    {
        w.Line("// <auto-generated/>");
        w.Line("// Generated by MiDistill.Dsl.Generator from .distill recipes. Do not edit: edit the recipe.");
        w.Line("#nullable enable");
        w.Line();
    }
}
