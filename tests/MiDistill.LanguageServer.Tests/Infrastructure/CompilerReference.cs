using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using MiDistill.Dsl.Generator.Pipeline;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace MiDistill.LanguageServer.Tests.Infrastructure;

/// <summary>One diagnostic as the build shows it and as the editor should: id, 0-based range, text.</summary>
public sealed record ReportedDiagnostic(string Id, int StartLine, int StartCharacter, int EndLine, int EndCharacter, string Message)
{
    public override string ToString() => $"{Id} ({StartLine},{StartCharacter})-({EndLine},{EndCharacter}) {Message}";
}

/// <summary>
/// What `dotnet build` reports for a recipe: the recipe generator run by Roslyn's own
/// CSharpGeneratorDriver over the project's C# sources and everything the test host references
/// (MiDistill.Runtime, TorchSharp, the framework), with the project folder as MSBuild gives it.
/// </summary>
public static class CompilerReference
{
    private static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    /// <param name="withProjectRecipes">Also hand the generator the project's other .distill files, as the build does.</param>
    public static IReadOnlyList<ReportedDiagnostic> Diagnostics(string projectDirectory, string recipePath, string text, bool withProjectRecipes = false) =>
        Run(projectDirectory, recipePath, text, withProjectRecipes).Diagnostics
            .Where(d => d.Location.GetLineSpan().Path == recipePath)
            .Select(d =>
            {
                var span = d.Location.GetLineSpan();
                return new ReportedDiagnostic(d.Id, span.StartLinePosition.Line, span.StartLinePosition.Character,
                    span.EndLinePosition.Line, span.EndLinePosition.Character, d.GetMessage(CultureInfo.InvariantCulture));
            })
            .OrderBy(d => d.StartLine).ThenBy(d => d.StartCharacter).ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToList();

    /// <summary>What the build reports in another file of the project for a recipe text: a C# file's [RecipeForm] declaration problems.</summary>
    public static IReadOnlyList<ReportedDiagnostic> DiagnosticsIn(string projectDirectory, string recipePath, string text, string path) =>
        Run(projectDirectory, recipePath, text).Diagnostics
            .Where(d => d.Location.GetLineSpan().Path == path)
            .Select(d =>
            {
                var span = d.Location.GetLineSpan();
                return new ReportedDiagnostic(d.Id, span.StartLinePosition.Line, span.StartLinePosition.Character,
                    span.EndLinePosition.Line, span.EndLinePosition.Character, d.GetMessage(CultureInfo.InvariantCulture));
            })
            .OrderBy(d => d.StartLine).ThenBy(d => d.StartCharacter).ThenBy(d => d.Message, StringComparer.Ordinal)
            .ToList();

    /// <summary>The generated C# for a recipe text (the recipe classes, not the embedded source text).</summary>
    public static string GeneratedRecipeCode(string projectDirectory, string recipePath, string text) =>
        string.Join("\n", Run(projectDirectory, recipePath, text).GeneratedSources
            .Where(s => !s.HintName.Contains("Source", StringComparison.Ordinal))
            .OrderBy(s => s.HintName, StringComparer.Ordinal)
            .Select(s => s.HintName + "\n" + s.SourceText));

    private static GeneratorRunResult Run(string projectDirectory, string recipePath, string text, bool withProjectRecipes = false)
    {
        var others = !withProjectRecipes ? Enumerable.Empty<AdditionalText>() :
            Directory.EnumerateFiles(projectDirectory, "*.distill", SearchOption.AllDirectories)
                .Where(f => f != recipePath && !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
                .Select(f => (AdditionalText)new InMemoryText(f, File.ReadAllText(f)));
        var sources = Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: f));
        var compilation = CSharpCompilation.Create("Recipes", sources, References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create(new[] { new RecipeGenerator().AsSourceGenerator() },
            additionalTexts: new AdditionalText[] { new InMemoryText(recipePath, text) }.Concat(others),
            optionsProvider: new ProjectFolder(projectDirectory));
        return driver.RunGenerators(compilation).GetRunResult().Results.Single();
    }

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;
        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private sealed class ProjectFolder(string directory) : AnalyzerConfigOptionsProvider
    {
        private static readonly Options None = new(new Dictionary<string, string>());
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(new Dictionary<string, string> { ["build_property.MSBuildProjectDirectory"] = directory });
        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => None;
        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => None;

        private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }
}
