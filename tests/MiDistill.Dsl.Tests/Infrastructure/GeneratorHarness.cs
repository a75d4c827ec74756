using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using MiDistill.Dsl.Generator.Pipeline;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace MiDistill.Dsl.Tests.Infrastructure;

/// <summary>A .distill file held in memory; <paramref name="error"/> makes reading it fail, as an I/O error would.</summary>
public sealed class InMemoryText(string path, string? text, Exception? error = null) : AdditionalText
{
    public override string Path { get; } = path;
    public override SourceText? GetText(CancellationToken cancellationToken = default) =>
        error is not null ? throw error : text is null ? null : SourceText.From(text);
}

/// <summary>Runs the recipe generator the way the compiler does, with step tracking on.</summary>
public static class GeneratorHarness
{
    /// <summary>Everything the test host can load: the BCL plus MiDistill.Runtime and TorchSharp.</summary>
    public static ImmutableArray<MetadataReference> References { get; } =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(System.IO.Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    public static CSharpCompilation EmptyCompilation() =>
        CSharpCompilation.Create("Recipes", Array.Empty<SyntaxTree>(), References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(params AdditionalText[] texts) =>
        CSharpGeneratorDriver.Create(
            new[] { new RecipeGenerator().AsSourceGenerator() },
            additionalTexts: texts,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>A driver that sees MSBuild properties, as `build_property.*` global options (what CompilerVisibleProperty gives a real build).</summary>
    public static GeneratorDriver CreateDriver(System.Collections.Generic.IReadOnlyDictionary<string, string> buildProperties, params AdditionalText[] texts) =>
        CSharpGeneratorDriver.Create(
            new[] { new RecipeGenerator().AsSourceGenerator() },
            additionalTexts: texts,
            optionsProvider: new BuildProperties(buildProperties),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private sealed class BuildProperties(System.Collections.Generic.IReadOnlyDictionary<string, string> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
    {
        private static readonly Options None = new(new System.Collections.Generic.Dictionary<string, string>());
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions { get; } =
            new Options(values.ToDictionary(kv => "build_property." + kv.Key, kv => kv.Value));
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => None;
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) => None;

        private sealed class Options(System.Collections.Generic.IReadOnlyDictionary<string, string> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }

    public static GeneratorDriver Run(GeneratorDriver driver, Compilation compilation) => driver.RunGenerators(compilation);

    public static GeneratorRunResult Result(GeneratorDriver driver) => Assert.Single(driver.GetRunResult().Results);

    public static string Source(GeneratorRunResult result, string hintName) =>
        result.GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();
}
