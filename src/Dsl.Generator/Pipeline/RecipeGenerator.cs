using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Generator.Emit;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace MiDistill.Dsl.Generator.Pipeline;

/// <summary>Compiles every .distill additional file into a typed recipe class, at build time.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class RecipeGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Each .distill file as plain (path, text): no Roslyn object travels further.
        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".distill", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, ct) => Read(text, ct))
            .WithTrackingName(StepNames.RecipeFiles);

        // Parse, bind and check each file; a crash becomes a diagnostic, never an empty build.
        var compiled = files
            .Select(static (file, _) => Compile(file))
            .WithTrackingName(StepNames.Compiled);

        // Diagnostics travel on their own output, so spans moving (a comment edit) leave code emission cached.
        var diagnostics = compiled
            .Select(static (file, _) => file.Result.Diagnostics)
            .WithTrackingName(StepNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, list) => Report(spc, list));

        // Recipe names must be unique across files: the registry and the CLI find recipes by name.
        var headers = compiled
            .SelectMany(static (file, _) => file.Result.Declarations.Select(d => new RecipeHeader(d.Name, file.Result.Path, d.Span)))
            .Collect()
            .WithTrackingName(StepNames.RecipeHeaders);
        context.RegisterSourceOutput(headers, static (spc, all) => ReportDuplicateNames(spc, all));

        // Names declared in several files: none of their classes is emitted (two classes, or two hint
        // names, with one name would crash the generator and hide the MD0108 that explains it).
        var duplicateNames = headers
            .Select(static (all, _) => DuplicateNames(all))
            .WithTrackingName(StepNames.DuplicateNames);

        // One class per error-free recipe whose name is unique.
        var recipes = compiled
            .SelectMany(static (file, _) => file.Result.Recipes)
            .WithTrackingName(StepNames.Recipes)
            .Combine(duplicateNames)
            .Where(static pair => !pair.Right.Contains(pair.Left.Name))
            .Select(static (pair, _) => pair.Left)
            .WithTrackingName(StepNames.UniqueRecipes);
        context.RegisterSourceOutput(recipes, static (spc, recipe) => Emit(spc, RecipeEmitter.HintName(recipe), () => RecipeEmitter.Emit(recipe)));

        // The exact recipe text, for the run folder's copy.
        var sources = compiled
            .Combine(duplicateNames)
            .Select(static (pair, _) => new RecipeSourceModel(
                System.IO.Path.GetFileName(pair.Left.Result.Path),
                pair.Left.Result.Recipes.Select(r => r.Name).Where(n => !pair.Right.Contains(n)).ToEquatableArray(),
                pair.Left.Text))
            .Where(static source => source.RecipeNames.Count > 0)
            .WithTrackingName(StepNames.RecipeSources);
        context.RegisterSourceOutput(sources, static (spc, source) =>
            Emit(spc, RecipeEmitter.SourcesHintName(source.RecipeNames[0]), () => RecipeEmitter.EmitSources(source.FileName, source.RecipeNames, source.Text)));

        // The registry the experiment executable lists and runs recipes from.
        var registry = recipes
            .Select(static (recipe, _) => recipe.Name)
            .Collect()
            .Select(static (names, _) => names.Distinct().OrderBy(n => n, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(StepNames.Registry);
        context.RegisterSourceOutput(registry, static (spc, names) => Emit(spc, "RecipeRegistry.g.cs", () => RecipeEmitter.EmitRegistry(names)));
    }

    // Grouped by the class each name becomes (compared as hint names are, ignoring case): `a_b` in one
    // file and `a__b` in another are one class, and emitting both would crash the generator.
    private static IEnumerable<IGrouping<string, RecipeHeader>> SharedAcrossFiles(ImmutableArray<RecipeHeader> headers) =>
        headers.GroupBy(h => ClrNames.RecipeClass(h.Name), ClrNames.ClassComparer)
            .Where(g => g.Select(h => h.Path).Distinct().Count() > 1);

    private static EquatableArray<string> DuplicateNames(ImmutableArray<RecipeHeader> headers) =>
        SharedAcrossFiles(headers)
            .SelectMany(g => g.Select(h => h.Name))
            .Distinct()
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToEquatableArray();

    private static RecipeFile Read(AdditionalText text, System.Threading.CancellationToken ct)
    {
        try
        {
            var source = text.GetText(ct);
            return source is null
                ? new RecipeFile(text.Path, "", "the file could not be read")
                : new RecipeFile(text.Path, source.ToString(), null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new RecipeFile(text.Path, "", "reading the file: " + Describe(e));
        }
    }

    private static FileCompilation Compile(RecipeFile file)
    {
        if (file.ReadError is not null) return Failed(file, file.ReadError);
        try
        {
            return new FileCompilation(RecipeCompiler.Compile(file.Path, file.Text), file.Text);
        }
        catch (Exception e)
        {
            // A compiler bug that knows which recipe text it was working on keeps that position.
            return e is RecipeCompilerException located && located.Span.End <= file.Text.Length
                ? Failed(file, OneLine(located.Message), located.Span)
                : Failed(file, Describe(e));
        }
    }

    private static FileCompilation Failed(RecipeFile file, string why, SourceSpan? at = null)
    {
        var failure = DslDiagnostic.Create(Descriptors.GeneratorFailure, file.Path, at ?? SourceSpan.None, why);
        return new FileCompilation(
            new CompiledFile(file.Path, EquatableArray<RecipeSpec>.Empty, EquatableArray<RecipeDeclaration>.Empty, new[] { failure }.ToEquatableArray()),
            file.Text);
    }

    private static void Emit(SourceProductionContext spc, string hintName, Func<string> emit)
    {
        try
        {
            spc.AddSource(hintName, SourceText.From(emit(), System.Text.Encoding.UTF8));
        }
        catch (Exception e)
        {
            spc.ReportDiagnostic(Diagnostic.Create(RoslynDiagnostics.Descriptor(Descriptors.GeneratorFailure), Location.None, $"emitting {hintName}: {Describe(e)}"));
        }
    }

    private static void Report(SourceProductionContext spc, EquatableArray<DslDiagnostic> diagnostics)
    {
        foreach (var d in diagnostics) spc.ReportDiagnostic(RoslynDiagnostics.Create(d));
    }

    private static void ReportDuplicateNames(SourceProductionContext spc, ImmutableArray<RecipeHeader> headers)
    {
        foreach (var group in SharedAcrossFiles(headers))
        {
            var ordered = group.OrderBy(h => h.Path, StringComparer.Ordinal).ThenBy(h => h.Span.Start).ToList();
            var first = ordered[0];
            var where = System.IO.Path.GetFileName(first.Path) + first.Span;
            foreach (var duplicate in ordered.Skip(1).Where(h => h.Path != first.Path))
                spc.ReportDiagnostic(RoslynDiagnostics.Create(duplicate.Name == first.Name
                    ? DslDiagnostic.Create(Descriptors.DuplicateRecipe, duplicate.Path, duplicate.Span, duplicate.Name, where)
                    : DslDiagnostic.Create(Descriptors.RecipeClassClash, duplicate.Path, duplicate.Span,
                        duplicate.Name, ClrNames.RecipeClass(duplicate.Name), ClrNames.RecipeClass(first.Name), first.Name, where)));
        }
    }

    private static string Describe(Exception e) => e.GetType().Name + ": " + OneLine(e.Message);

    // A diagnostic is one line; some exception messages are several (ArgumentException adds "(Parameter ...)").
    private static string OneLine(string message) =>
        string.Join(" ", message.Split(new[] { '\r', '\n', '\u0085', '\u2028', '\u2029' }, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
}
