using System.Linq;
using MiDistill.Dsl.Generator.Pipeline;
using MiDistill.Dsl.Semantics.Schema;

namespace MiDistill.Dsl.Tests.Infrastructure;

/// <summary>
/// The schema a project that references only MiDistill.Runtime compiles its recipes against: the
/// sections and forms are read from the runtime assembly by the generator's own readers, as in a real build.
/// </summary>
public static class BuiltInSchema
{
    private static readonly System.Lazy<CatalogReading> Reading = new(() =>
    {
        var compilation = GeneratorHarness.EmptyCompilation();
        return CatalogReading.Merge(FormReader.FromReferences(compilation, default), Enumerable.Empty<FormReading>(), SectionReader.FromRuntime(compilation, default));
    });

    public static FormCatalog Catalog => Reading.Value.Catalog;

    /// <summary>What is wrong with the runtime's own declarations: nothing, a test checks.</summary>
    internal static System.Collections.Generic.IReadOnlyList<FormProblem> Problems => Reading.Value.Problems;

    public static RecipeSchema Value { get; } = RecipeSchema.Create(Catalog);
}
