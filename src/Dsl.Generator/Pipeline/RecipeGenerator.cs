using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Generator.Emit;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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

        // The forms recipes can name, declared by records in the runtime and in referenced libraries.
        // The compilation changes on every edit; the forms read from it stay equal, so what follows stays cached.
        var referencedForms = context.CompilationProvider
            .Select(static (compilation, ct) => FormReader.FromReferences(compilation, ct))
            .WithTrackingName(StepNames.ReferencedForms);

        // The sections and their settings, declared by the runtime's section records; equal unless a declaration changed.
        var referencedSections = context.CompilationProvider
            .Select(static (compilation, ct) => SectionReader.FromRuntime(compilation, ct))
            .WithTrackingName(StepNames.ReferencedSections);

        // The project's own forms ([RecipeForm] records in its source), read per declaration.
        var declaredForms = context.SyntaxProvider
            .ForAttributeWithMetadataName(FormReader.FormAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                static (ctx, _) => FormReader.FromSource((INamedTypeSymbol)ctx.TargetSymbol, Site((TypeDeclarationSyntax)ctx.TargetNode)))
            .WithTrackingName(StepNames.DeclaredForms);

        // One catalog of every section and form; declaration problems go to their own output, at the C# record.
        var catalogReading = referencedForms
            .Combine(declaredForms.Collect())
            .Combine(referencedSections)
            .Select(static (pair, _) => CatalogReading.Merge(pair.Left.Left, pair.Left.Right, pair.Right))
            .WithTrackingName(StepNames.CatalogReading);
        var catalog = catalogReading
            .Select(static (reading, _) => reading.Catalog)
            .WithTrackingName(StepNames.Catalog);
        // Where help links point: the language reference MiDistill.props names (the package's own
        // docs/language.md by default), as a file URI; each id's link opens its row there.
        var helpDocument = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => RoslynDiagnostics.DocumentUri(
                options.GlobalOptions.TryGetValue("build_property." + RoslynDiagnostics.LanguageReferenceProperty, out var path) ? path : ""))
            .WithTrackingName(StepNames.HelpDocument);

        context.RegisterSourceOutput(catalogReading.Select(static (reading, _) => reading.Problems).Combine(helpDocument),
            static (spc, pair) => ReportProblems(spc, pair.Left, pair.Right));

        // The project folder (MSBuild's, made visible by MiDistill.targets): relative input paths in
        // recipes mean files there, for the build-time checks and, through the generated class, at run time.
        var projectDirectory = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.MSBuildProjectDirectory", out var folder) ? folder : "")
            .WithTrackingName(StepNames.ProjectDirectory);

        // Parse, bind and check each file against the catalog; a crash becomes a diagnostic, never an empty build.
        var compiled = files
            .Combine(catalog)
            .Combine(projectDirectory)
            .Select(static (pair, _) => Compile(pair.Left.Left, pair.Left.Right, pair.Right))
            .WithTrackingName(StepNames.Compiled);

        // Diagnostics travel on their own output, so spans moving (a comment edit) leave code emission cached.
        var diagnostics = compiled
            .Select(static (file, _) => file.Result.Diagnostics)
            .WithTrackingName(StepNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics.Combine(helpDocument), static (spc, pair) => Report(spc, pair.Left, pair.Right));

        // Recipe names must be unique across files: the registry and the CLI find recipes by name.
        var headers = compiled
            .SelectMany(static (file, _) => file.Result.Declarations.Select(d => new RecipeHeader(d.Name, file.Result.Path, d.Span)))
            .Collect()
            .WithTrackingName(StepNames.RecipeHeaders);
        context.RegisterSourceOutput(headers.Combine(helpDocument), static (spc, pair) => ReportDuplicateNames(spc, pair.Left, pair.Right));

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
        context.RegisterSourceOutput(recipes.Combine(catalog).Combine(projectDirectory).Combine(helpDocument),
            static (spc, pair) => Emit(spc, RecipeEmitter.HintName(pair.Left.Left.Left), pair.Right,
                () => RecipeEmitter.Emit(pair.Left.Left.Left, RecipeSchema.Create(pair.Left.Left.Right), pair.Left.Right)));

        // The exact recipe text, for the run folder's copy.
        var sources = compiled
            .Combine(duplicateNames)
            .Select(static (pair, _) => new RecipeSourceModel(
                System.IO.Path.GetFileName(pair.Left.Result.Path),
                pair.Left.Result.Recipes.Select(r => r.Name).Where(n => !pair.Right.Contains(n)).ToEquatableArray(),
                pair.Left.Text))
            .Where(static source => source.RecipeNames.Count > 0)
            .WithTrackingName(StepNames.RecipeSources);
        context.RegisterSourceOutput(sources.Combine(helpDocument), static (spc, pair) =>
            Emit(spc, RecipeEmitter.SourcesHintName(pair.Left.RecipeNames[0]), pair.Right, () => RecipeEmitter.EmitSources(pair.Left.FileName, pair.Left.RecipeNames, pair.Left.Text)));

        // The registry the experiment executable lists and runs recipes from.
        var registry = recipes
            .Select(static (recipe, _) => recipe.Name)
            .Collect()
            .Select(static (names, _) => names.Distinct().OrderBy(n => n, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(StepNames.Registry);
        context.RegisterSourceOutput(registry.Combine(helpDocument), static (spc, pair) => Emit(spc, "RecipeRegistry.g.cs", pair.Right, () => RecipeEmitter.EmitRegistry(pair.Left)));
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

    private static FileCompilation Compile(RecipeFile file, FormCatalog catalog, string projectDirectory)
    {
        if (file.ReadError is not null) return Failed(file, file.ReadError);
        try
        {
            return new FileCompilation(RecipeCompiler.Compile(file.Path, file.Text, RecipeSchema.Create(catalog), projectDirectory.Length == 0 ? null : projectDirectory), file.Text);
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

    private static void Emit(SourceProductionContext spc, string hintName, string helpDocument, Func<string> emit)
    {
        try
        {
            spc.AddSource(hintName, SourceText.From(emit(), System.Text.Encoding.UTF8));
        }
        catch (Exception e)
        {
            spc.ReportDiagnostic(RoslynDiagnostics.Create(Descriptors.GeneratorFailure, Location.None, helpDocument, $"emitting {hintName}: {Describe(e)}"));
        }
    }

    private static DeclarationSite? Site(TypeDeclarationSyntax node)
    {
        var location = node.Identifier.GetLocation();
        if (location.SourceTree is null) return null;
        var lines = location.GetLineSpan();
        return new DeclarationSite(location.SourceTree.FilePath, location.SourceSpan.Start, location.SourceSpan.Length,
            lines.StartLinePosition.Line, lines.StartLinePosition.Character, lines.EndLinePosition.Line, lines.EndLinePosition.Character);
    }

    private static void ReportProblems(SourceProductionContext spc, EquatableArray<FormProblem> problems, string helpDocument)
    {
        foreach (var problem in problems)
        {
            var site = problem.Site;
            var location = site is null ? Location.None : Location.Create(site.Path, new TextSpan(site.Start, site.Length),
                new LinePositionSpan(new LinePosition(site.StartLine, site.StartCharacter), new LinePosition(site.EndLine, site.EndCharacter)));
            var subject = problem.Type.Length == 0 ? "catalog" : problem.Type;
            spc.ReportDiagnostic(RoslynDiagnostics.Create(Descriptors.BadFormDeclaration, location, helpDocument, subject, problem.Message));
        }
    }

    private static void Report(SourceProductionContext spc, EquatableArray<DslDiagnostic> diagnostics, string helpDocument)
    {
        foreach (var d in diagnostics) spc.ReportDiagnostic(RoslynDiagnostics.Create(d, helpDocument));
    }

    private static void ReportDuplicateNames(SourceProductionContext spc, ImmutableArray<RecipeHeader> headers, string helpDocument)
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
                        duplicate.Name, ClrNames.RecipeClass(duplicate.Name), ClrNames.RecipeClass(first.Name), first.Name, where), helpDocument));
        }
    }

    private static string Describe(Exception e) => e.GetType().Name + ": " + OneLine(e.Message);

    // A diagnostic is one line; some exception messages are several (ArgumentException adds "(Parameter ...)").
    private static string OneLine(string message) =>
        string.Join(" ", message.Split(new[] { '\r', '\n', '\u0085', '\u2028', '\u2029' }, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
}
