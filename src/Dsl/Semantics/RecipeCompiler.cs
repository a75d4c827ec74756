using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>Where a recipe name is declared (for duplicate names across files).</summary>
public sealed record RecipeDeclaration(string Name, SourceSpan Span);

/// <summary>What one .distill file compiles to: the recipes without errors, their declarations, and every diagnostic.</summary>
public sealed record CompiledFile(string Path, EquatableArray<RecipeSpec> Recipes, EquatableArray<RecipeDeclaration> Declarations, EquatableArray<DslDiagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
}

/// <summary>The front end in one call: text to recipe specs and diagnostics, against the forms a project declares. The generator and the tests both use it.</summary>
public static class RecipeCompiler
{
    /// <param name="projectDirectory">The folder relative input paths in recipes are relative to (the project's); null = the recipe file's folder.</param>
    public static CompiledFile Compile(string path, string text, RecipeSchema schema, string? projectDirectory = null)
    {
        var diagnostics = new List<DslDiagnostic>();
        var parsed = RecipeParser.Parse(path, text);
        if (parsed.Error is not null)
            return new CompiledFile(path, EquatableArray<RecipeSpec>.Empty, EquatableArray<RecipeDeclaration>.Empty, new[] { parsed.Error }.ToEquatableArray());

        var tree = parsed.Tree!;
        if (tree.Recipes.Count == 0)
            diagnostics.Add(DslDiagnostic.Create(Descriptors.NoRecipe, path, SourceSpan.None));

        var fileName = System.IO.Path.GetFileName(path);
        var unemittable = NameChecks.Check(path, tree, diagnostics);
        var recipes = new List<RecipeSpec>();
        var names = new Dictionary<string, SourceSpan>();
        foreach (var recipe in tree.Recipes)
        {
            if (names.TryGetValue(recipe.Name.Text, out var first))
            {
                diagnostics.Add(DslDiagnostic.Create(Descriptors.DuplicateRecipe, path, recipe.Name.Span, recipe.Name.Text, $"{fileName}{first}"));
                continue;
            }
            names[recipe.Name.Text] = recipe.Name.Span;
            RecipeSpec? spec;
            try { spec = new RecipeBinder(path, diagnostics, schema, projectDirectory).Bind(recipe, fileName); }
            catch (Exception e) { throw RecipeCompilerException.At(recipe.Name.Span, e); }
            if (spec is not null && !unemittable.Contains(recipe)) recipes.Add(spec);
        }
        var declarations = tree.Recipes.Select(r => new RecipeDeclaration(r.Name.Text, r.Name.Span)).ToEquatableArray();
        return new CompiledFile(path, recipes.ToEquatableArray(), declarations, diagnostics.ToEquatableArray());
    }
}
