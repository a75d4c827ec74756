using System;
using System.IO;
using System.Linq;
using MiDistill.Dsl.Generator.Pipeline;
using MiDistill.Dsl.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using static MiDistill.Dsl.Tests.Infrastructure.GeneratorHarness;

namespace MiDistill.Dsl.Tests.Generator;

public class GeneratorTests
{
    // A test copy, so that tuning recipes/quickstart.distill does not churn the approved files.
    private static readonly string QuickstartText = File.ReadAllText(Path.Combine(Repo.SourceFolder(), "Recipes", "quickstart.distill")).Replace("\r\n", "\n");
    private const string QuickstartPath = "/project/recipes/quickstart.distill";

    private static GeneratorRunResult RunQuickstart() =>
        Result(Run(CreateDriver(new InMemoryText(QuickstartPath, QuickstartText)), EmptyCompilation()));

    [Fact]
    public void A_cross_setting_warning_is_reported_once_per_recipe()
    {
        var text = QuickstartText.Replace("upstream(classes: 0..4,", "upstream(classes: 0..5,");
        var result = Result(Run(CreateDriver(new InMemoryText(QuickstartPath, text)), EmptyCompilation()));
        Assert.Single(result.Diagnostics, d => d.Id == "MD0203");
    }

    [Fact]
    public void Quickstart_emits_recipe_registry_and_sources_without_diagnostics()
    {
        var result = RunQuickstart();
        Assert.Null(result.Exception);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(
            new[] { "QuickstartRecipe.g.cs", "RecipeRegistry.g.cs", "RecipeSources.Quickstart.g.cs" },
            result.GeneratedSources.Select(s => s.HintName).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void Quickstart_recipe_class() => Approvals.Verify(Source(RunQuickstart(), "QuickstartRecipe.g.cs"));

    [Fact]
    public void Quickstart_registry() => Approvals.Verify(Source(RunQuickstart(), "RecipeRegistry.g.cs"));

    [Fact]
    public void Quickstart_sources() => Approvals.Verify(Source(RunQuickstart(), "RecipeSources.Quickstart.g.cs"));

    [Fact]
    public void GeneratedCode_states_the_generator_assemblys_version_which_is_the_package_version()
    {
        var informational = typeof(RecipeGenerator).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        var assemblyVersion = informational.Split('+')[0];
        var packageVersion = System.Xml.Linq.XDocument.Load(Repo.Path("Directory.Build.props"))
            .Descendants("Version").Single().Value;
        Assert.Equal(packageVersion, assemblyVersion);

        var result = RunQuickstart();
        var stated = result.GeneratedSources
            .SelectMany(s => System.Text.RegularExpressions.Regex.Matches(s.SourceText.ToString(),
                @"GeneratedCode\(""MiDistill\.Dsl\.Generator"", ""([^""]*)""\)").Cast<System.Text.RegularExpressions.Match>())
            .Select(m => m.Groups[1].Value)
            .ToList();
        Assert.Equal(3, stated.Count);
        Assert.All(stated, version => Assert.Equal(assemblyVersion, version));
    }

    [Fact]
    public void Generated_code_compiles_against_the_runtime()
    {
        var driver = Run(CreateDriver(new InMemoryText(QuickstartPath, QuickstartText)), EmptyCompilation());
        driver.RunGeneratorsAndUpdateCompilation(EmptyCompilation(), out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Equal(3, output.SyntaxTrees.Count());
        var errors = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString());
        Assert.Empty(errors);
    }

    [Fact]
    public void Two_recipe_files_compile_together()
    {
        // Every file adds members to the one RecipeSources partial class; nothing may be declared twice.
        var second = QuickstartText.Replace("recipe quickstart", "recipe second");
        var driver = Run(CreateDriver(new InMemoryText(QuickstartPath, QuickstartText), new InMemoryText("/p/second.distill", second)), EmptyCompilation());
        driver.RunGeneratorsAndUpdateCompilation(EmptyCompilation(), out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Equal(5, output.SyntaxTrees.Count());
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
    }

    [Theory]
    [InlineData("cnn_small(width: 8)")]
    [InlineData("resnet18(width: 8, stem: imagenet)")]
    [InlineData("mobilenet_v2(width: 0.25, stem: small)")]
    [InlineData("efficientnetv2_b0(width: 0.25, stem: imagenet)")]
    public void Every_student_form_compiles_against_the_runtime(string student)
    {
        var text = QuickstartText.Replace("student cnn_small(width: 16)", "student " + student);
        Assert.Contains(student, text);
        var driver = Run(CreateDriver(new InMemoryText(QuickstartPath, text)), EmptyCompilation());
        driver.RunGeneratorsAndUpdateCompilation(EmptyCompilation(), out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Equal(3, output.SyntaxTrees.Count());
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
    }

    [Fact]
    public void Sources_embed_the_exact_recipe_text()
    {
        var source = Source(RunQuickstart(), "RecipeSources.Quickstart.g.cs");
        var tree = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(source);
        var literal = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax>().Single().Initializer!.Value;
        Assert.Equal(QuickstartText, ((Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax)literal).Token.ValueText);
    }

    // Incrementality on purpose: caching is what keeps a big recipe folder cheap in the IDE.

    [Fact]
    public void Rerun_without_changes_is_cached()
    {
        var text = new InMemoryText(QuickstartPath, QuickstartText);
        var driver = Run(CreateDriver(text), EmptyCompilation());
        var result = Result(Run(driver, EmptyCompilation()));
        foreach (var step in new[] { StepNames.RecipeFiles, StepNames.Compiled, StepNames.Diagnostics, StepNames.Recipes, StepNames.UniqueRecipes, StepNames.RecipeSources, StepNames.Registry })
            Assert.All(Outputs(result, step), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Comment_edit_leaves_emission_unchanged_but_updates_the_embedded_text()
    {
        var before = new InMemoryText(QuickstartPath, QuickstartText);
        var edited = QuickstartText.Replace("# Quickstart: does ReMem", "# Quickstart (edited): does ReMem");
        Assert.NotEqual(QuickstartText, edited);
        var after = new InMemoryText(QuickstartPath, edited);

        var driver = Run(CreateDriver(before), EmptyCompilation());
        var result = Result(Run(driver.ReplaceAdditionalText(before, after), EmptyCompilation()));

        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Outputs(result, StepNames.RecipeFiles));
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Outputs(result, StepNames.Compiled));
        Assert.Equal(new[] { IncrementalStepRunReason.Unchanged }, Outputs(result, StepNames.Recipes));
        Assert.All(Outputs(result, StepNames.UniqueRecipes), r => Assert.Contains(r, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.Equal(new[] { IncrementalStepRunReason.Unchanged }, Outputs(result, StepNames.Diagnostics));
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Outputs(result, StepNames.RecipeSources));
        Assert.All(Outputs(result, StepNames.Registry), r => Assert.Contains(r, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.Contains("(edited)", Source(result, "RecipeSources.Quickstart.g.cs"));
    }

    [Fact]
    public void Value_edit_modifies_the_recipe_step()
    {
        var before = new InMemoryText(QuickstartPath, QuickstartText);
        var edited = QuickstartText.Replace("epochs 15", "epochs 16");
        Assert.NotEqual(QuickstartText, edited);
        var after = new InMemoryText(QuickstartPath, edited);

        var driver = Run(CreateDriver(before), EmptyCompilation());
        var result = Result(Run(driver.ReplaceAdditionalText(before, after), EmptyCompilation()));

        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Outputs(result, StepNames.Recipes));
        Assert.Contains("Epochs = 16,", Source(result, "QuickstartRecipe.g.cs"));
        // The recipe's name did not change, so the registry stays as it was.
        Assert.All(Outputs(result, StepNames.Registry), r => Assert.Contains(r, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    internal static IncrementalStepRunReason[] Outputs(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    [Fact]
    public void Error_is_reported_at_the_recipe_position_and_nothing_is_emitted_for_it()
    {
        const string bad = "recipe bad {\n  teacher {\n    pretrain upstream(classes: 0..4)\n  }\n  data {\n    classes 5..9\n  }\n  finetune {\n    reweight mlp(top: 9, alpha: 0.5)\n  }\n}\n";
        var languageReference = Repo.Path("docs", "language.md");
        var properties = new System.Collections.Generic.Dictionary<string, string> { ["MiDistillLanguageReference"] = languageReference };
        var result = Result(Run(CreateDriver(properties, new InMemoryText("/p/bad.distill", bad), new InMemoryText(QuickstartPath, QuickstartText)), EmptyCompilation()));

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MD0113", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("`reweight` top = 9 exceeds the teacher's depth (4 blocks of `tiny_28`); use at most 4", diagnostic.GetMessage());
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal("/p/bad.distill", span.Path);
        // bad.distill(9,23) in 1-based recipe terms; Roslyn counts from 0.
        Assert.Equal(new LinePosition(8, 22), span.StartLinePosition);
        Assert.Equal(new LinePosition(8, 23), span.EndLinePosition);
        Assert.Equal("9", bad.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(new Uri(languageReference).AbsoluteUri + "#md0113", diagnostic.Descriptor.HelpLinkUri);

        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName.StartsWith("BadRecipe", StringComparison.Ordinal));
        Assert.DoesNotContain("BadRecipe", Source(result, "RecipeRegistry.g.cs"));
        Assert.Contains("QuickstartRecipe", Source(result, "RecipeRegistry.g.cs"));
    }

    [Fact]
    public void Syntax_error_is_reported_with_zero_based_position()
    {
        var result = Result(Run(CreateDriver(new InMemoryText("/p/s.distill", "recipe s {\n  data {\n    seed 1.\n  }\n}\n")), EmptyCompilation()));
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MD0001", diagnostic.Id);
        Assert.Equal(new LinePosition(2, 11), diagnostic.Location.GetLineSpan().StartLinePosition); // s.distill(3,12)
        Assert.Empty(result.GeneratedSources.Where(s => s.HintName != "RecipeRegistry.g.cs"));
    }

    [Fact]
    public void Duplicate_recipe_names_across_files_are_reported_on_the_later_file_and_not_emitted()
    {
        var result = Result(Run(CreateDriver(
            new InMemoryText("/p/a.distill", QuickstartText),
            new InMemoryText("/p/b.distill", "\n" + QuickstartText)), EmptyCompilation()));
        Assert.Null(result.Exception);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MD0108", diagnostic.Id);
        Assert.Equal("recipe `quickstart` is already declared at a.distill(4,8); recipe names must be unique across all .distill files", diagnostic.GetMessage());
        Assert.Equal("/p/b.distill", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(new LinePosition(4, 7), diagnostic.Location.GetLineSpan().StartLinePosition);
        // Neither copy is emitted: two classes of one name (or two equal hint names) would crash the generator.
        Assert.Equal(new[] { "RecipeRegistry.g.cs" }, result.GeneratedSources.Select(s => s.HintName));
    }

    // MD0900: an AdditionalText the compiler cannot read is the legitimate way to reach the failure
    // path without planting a bug; it must be an error on that file, never an empty build.
    [Fact]
    public void MD0900_unreadable_file_is_a_generator_failure_not_an_empty_recipe()
    {
        var result = Result(Run(CreateDriver(new InMemoryText("/p/gone.distill", null, new IOException("disk gone"))), EmptyCompilation()));
        Assert.Null(result.Exception);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MD0900", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("the MiDistill recipe generator failed on this file (reading the file: IOException: disk gone); please report it with the recipe that triggers it", diagnostic.GetMessage());
        Assert.Equal("/p/gone.distill", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(new LinePosition(0, 0), diagnostic.Location.GetLineSpan().StartLinePosition);
    }

    [Fact]
    public void MD0900_null_text_is_a_generator_failure()
    {
        var result = Result(Run(CreateDriver(new InMemoryText("/p/null.distill", null)), EmptyCompilation()));
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MD0900", diagnostic.Id);
        Assert.Contains("the file could not be read", diagnostic.GetMessage());
    }

    // Issue #10: recipe text the generated C# must survive.

    /// <summary>Runs the generator over the files and compiles its output against the runtime: every diagnostic of either.</summary>
    private static string[] GenerateAndCompile(params InMemoryText[] files)
    {
        var driver = Run(CreateDriver(files), EmptyCompilation());
        driver.RunGeneratorsAndUpdateCompilation(EmptyCompilation(), out var output, out var generatorDiagnostics);
        return generatorDiagnostics.Concat(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning))
            .Select(d => d.ToString()).ToArray();
    }

    [Theory]
    [InlineData("\u2028")]
    [InlineData("\u2029")]
    [InlineData("\u0085")]
    [InlineData("\r")]
    [InlineData("\u200B")]
    [InlineData("\uD800")]
    public void Line_separators_in_strings_and_comments_stay_inside_the_literal(string separator)
    {
        // In a string value (emitted as a literal), in a comment (embedded in RecipeSources) and in the file name (written in comments).
        var text = QuickstartText.Replace("recipe quickstart {", "# note" + separator + "end\nrecipe quickstart {")
            + "\n# trailing" + separator;
        text = text.Replace("  variants {", "  run {\n    output \"a" + separator + "b\"\n  }\n  variants {");
        Assert.Contains("output \"a", text);
        Assert.Empty(GenerateAndCompile(new InMemoryText("/p/quick" + separator + "start.distill", text)));
    }

    [Fact]
    public void Sources_keep_a_string_with_line_separators_exactly()
    {
        var text = QuickstartText + "\n# \u2028\u2029\u0085\0\r end";
        var source = Source(Result(Run(CreateDriver(new InMemoryText(QuickstartPath, text)), EmptyCompilation())), "RecipeSources.Quickstart.g.cs");
        var tree = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(source);
        var literal = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax>().Single().Initializer!.Value;
        Assert.Equal(text, ((Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax)literal).Token.ValueText);
    }

    [Fact]
    public void MD0150_recipe_names_that_become_one_class_across_files()
    {
        var result = Result(Run(CreateDriver(
            new InMemoryText("/p/a.distill", QuickstartText.Replace("recipe quickstart", "recipe a_b")),
            new InMemoryText("/p/b.distill", QuickstartText.Replace("recipe quickstart", "recipe a__b"))), EmptyCompilation()));
        Assert.Null(result.Exception);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MD0150", diagnostic.Id);
        Assert.Equal("recipe `a__b` becomes the C# class `ABRecipe`, which clashes with `ABRecipe` of recipe `a_b` at a.distill(4,8); rename one of them (C# names drop `_` and capitalise each word; generated file names ignore case)", diagnostic.GetMessage());
        Assert.Equal("/p/b.distill", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(new LinePosition(3, 7), diagnostic.Location.GetLineSpan().StartLinePosition);
        Assert.Equal(new[] { "RecipeRegistry.g.cs" }, result.GeneratedSources.Select(s => s.HintName));
    }

    [Fact]
    public void Recipe_names_that_differ_in_case_across_files_clash()
    {
        var diagnostics = GenerateAndCompile(
            new InMemoryText("/p/a.distill", QuickstartText.Replace("recipe quickstart", "recipe ab")),
            new InMemoryText("/p/b.distill", QuickstartText.Replace("recipe quickstart", "recipe aB")));
        Assert.Equal(new[] { "/p/b.distill(4,8): error MD0150: recipe `aB` becomes the C# class `ABRecipe`, which clashes with `AbRecipe` of recipe `ab` at a.distill(4,8); rename one of them (C# names drop `_` and capitalise each word; generated file names ignore case)" }, diagnostics);
    }

    [Fact]
    public void Files_of_one_name_in_two_folders_each_keep_their_sources()
    {
        var second = QuickstartText.Replace("recipe quickstart", "recipe second");
        Assert.Empty(GenerateAndCompile(new InMemoryText("/p/one/recipes.distill", QuickstartText), new InMemoryText("/p/two/recipes.distill", second),
            new InMemoryText("/p/two/Recipes.distill", QuickstartText.Replace("recipe quickstart", "recipe third"))));
    }

    [Fact]
    public void Clashing_and_reserved_names_in_one_file_are_diagnostics_not_broken_code()
    {
        var text = QuickstartText.Replace("recipe quickstart", "recipe a_b") + "\n" + QuickstartText.Replace("recipe quickstart", "recipe a__b")
            + "\n" + QuickstartText.Replace("recipe quickstart", "recipe x").Replace("variants {", "variants {\n    settings { }\n    v_1 { }\n    v1 { }");
        var diagnostics = GenerateAndCompile(new InMemoryText("/p/names.distill", text));
        Assert.Equal(new[] { "MD0150", "MD0152", "MD0151" }, diagnostics.Select(d => d.Split(' ')[2].TrimEnd(':')));
    }

    // Found by the fuzzer: the RecipeSources member is the recipe's name as written, and `class` is a keyword.
    [Theory]
    [InlineData("class")]
    [InlineData("default")]
    [InlineData("__arglist")]
    public void Recipe_named_like_a_keyword_compiles(string name) =>
        Assert.Empty(GenerateAndCompile(new InMemoryText("/p/k.distill", QuickstartText.Replace("recipe quickstart", "recipe " + name))));

    [Fact]
    public void Underscore_names_compile()
    {
        var text = QuickstartText.Replace("recipe quickstart", "recipe _").Replace("variants {", "variants {\n    _ { }\n    _1 { }\n    __2a { }");
        Assert.Empty(GenerateAndCompile(new InMemoryText("/p/u.distill", text)));
    }

    [Fact]
    public void Non_distill_additional_files_are_ignored()
    {
        var result = Result(Run(CreateDriver(new InMemoryText("/p/notes.txt", "recipe x {")), EmptyCompilation()));
        Assert.Empty(result.Diagnostics);
        Assert.Equal(new[] { "RecipeRegistry.g.cs" }, result.GeneratedSources.Select(s => s.HintName));
    }
}
