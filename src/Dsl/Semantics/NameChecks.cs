using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>
/// Checks the C# names the generator derives from recipe and variant names (<see cref="ClrNames"/>):
/// two names that become one class or property, or a name C# reserves, would otherwise surface as a
/// C# error in generated code (CS0102, CS0542) or a generator crash (a duplicate hint name).
/// Each is reported at the second name, where the recipe can be fixed.
/// </summary>
internal static class NameChecks
{
    /// <summary>Reports every clash in <paramref name="file"/>; returns the recipes that must not be emitted.</summary>
    public static HashSet<RecipeNode> Check(string path, RecipeFileNode file, List<DslDiagnostic> diagnostics)
    {
        var rejected = new HashSet<RecipeNode>();
        var fileName = System.IO.Path.GetFileName(path);
        var classes = new Dictionary<string, Identifier>(ClrNames.ClassComparer);
        foreach (var recipe in file.Recipes)
        {
            var name = recipe.Name;
            var className = ClrNames.RecipeClass(name.Text);
            if (classes.TryGetValue(className, out var first))
            {
                // The same name twice is MD0108, reported by the compiler.
                if (first.Text != name.Text)
                {
                    diagnostics.Add(DslDiagnostic.Create(Descriptors.RecipeClassClash, path, name.Span,
                        name.Text, className, ClrNames.RecipeClass(first.Text), first.Text, fileName + first.Span));
                    rejected.Add(recipe);
                }
                continue;
            }
            classes[className] = name;

            var member = ClrNames.SourcesMember(name.Text);
            var reserved = member == ClrNames.SourcesClass
                ? $"is the class that holds the recipe texts (`{ClrNames.SourcesClass}.{member}` would be named like its class)"
                : HidesObjectMember(member);
            if (reserved is not null)
            {
                diagnostics.Add(DslDiagnostic.Create(Descriptors.ReservedName, path, name.Span, "recipe", name.Text, member, reserved));
                rejected.Add(recipe);
            }

            if (!CheckVariants(path, recipe, diagnostics)) rejected.Add(recipe);
        }
        return rejected;
    }

    private static bool CheckVariants(string path, RecipeNode recipe, List<DslDiagnostic> diagnostics)
    {
        bool ok = true;
        var properties = new Dictionary<string, Identifier>(StringComparer.Ordinal);
        foreach (var variant in recipe.VariantBlocks.SelectMany(b => b.Variants))
        {
            var name = variant.Name;
            var property = ClrNames.VariantProperty(name.Text);
            if (properties.TryGetValue(property, out var first))
            {
                // The same name twice is MD0109, reported by the binder.
                if (first.Text != name.Text)
                {
                    diagnostics.Add(DslDiagnostic.Create(Descriptors.VariantPropertyClash, path, name.Span,
                        name.Text, property, first.Text, first.Span.Line));
                    ok = false;
                }
                continue;
            }
            properties[property] = name;

            var reserved = property == ClrNames.VariantsClass
                ? $"is the class that holds the variants (`{ClrNames.VariantsClass}.{property}` would be named like its class)"
                : HidesObjectMember(property);
            if (reserved is not null)
            {
                diagnostics.Add(DslDiagnostic.Create(Descriptors.ReservedName, path, name.Span, "variant", name.Text, property, reserved));
                ok = false;
            }
        }
        return ok;
    }

    private static string? HidesObjectMember(string member) =>
        Array.IndexOf(ClrNames.ObjectMembers, member) >= 0 ? $"would hide `object.{member}`, which every C# class has" : null;
}
