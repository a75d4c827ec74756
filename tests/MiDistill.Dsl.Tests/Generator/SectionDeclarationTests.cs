using System;
using System.IO;
using System.Linq;
using MiDistill.Dsl.Generator.Pipeline;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static MiDistill.Dsl.Tests.Infrastructure.GeneratorHarness;
using static MiDistill.Dsl.Tests.Generator.GeneratorTests;

namespace MiDistill.Dsl.Tests.Generator;

/// <summary>
/// Sections and their settings are declared on the runtime's records ([RecipeSection],
/// [RecipeSetting]) and read from its metadata, as forms are; the schema adds only what the language
/// defines itself. A declaration the compiler cannot use is MD0901, never a silently different schema.
/// </summary>
public class SectionDeclarationTests
{
    [Fact]
    public void The_sections_are_the_runtimes_section_records_in_their_declared_order()
    {
        var sections = BuiltInSchema.Catalog.Sections;
        Assert.Equal(new[] { "teacher", "data", "finetune", "distill", "evaluate", "run", "analyze", "export" }, sections.Select(s => s.Name));
        Assert.Equal(new[] { "Teacher", "Data", "Finetune", "Distill", "Evaluate", "Run", "Analyze", "Export" }, sections.Select(s => s.ClrProperty));
        // Every setting of the schema is one the records declare, in the records' order: none is added by hand.
        Assert.Equal(sections.Select(s => s.Name + ": " + string.Join(", ", s.Settings.Select(a => a.Name))),
            BuiltInSchema.Value.Sections.Select(s => s.Name + ": " + string.Join(", ", s.Settings.Select(a => a.Name))));
    }

    [Fact]
    public void A_setting_carries_its_name_range_default_doc_and_process_scope_from_its_property()
    {
        var data = BuiltInSchema.Value.FindSection("data")!;
        Assert.Equal("global::MiDistill.Runtime.Options.DataOptions", data.ClrType);
        var validation = data.Find("validation")!;
        Assert.Equal(("ValidationFraction", "10%", "[0, 0.9]"), (validation.ClrName, validation.Default, validation.Type.DescribeRange()));
        Assert.True(data.Find("classes")!.Required);

        var run = BuiltInSchema.Value.FindSection("run")!;
        Assert.Equal(new[] { "device", "threads", "workers", "output", "cache" }, run.Settings.Where(s => s.PerProcess).Select(s => s.Name));
        var pretrain = BuiltInSchema.Value.FindSection("teacher")!.Find("pretrain")!;
        Assert.Equal((null, "required unless `weights` is a checkpoint", false), (pretrain.Default, pretrain.DefaultDoc, pretrain.Required));
        // The language's `upstream` form takes PretrainOptions' settings as its arguments.
        var upstream = Assert.IsType<ChoiceType>(pretrain.Type).Find("upstream")!;
        Assert.Equal(("global::MiDistill.Runtime.Options.PretrainOptions", false), (upstream.ClrType, upstream.Positional));
        Assert.Equal(new[] { "classes", "epochs", "batch_size", "optimizer", "schedule", "max_images", "seed", "clip_grad", "decay_exclusions" }, upstream.Arguments.Select(a => a.Name));
    }

    // A stand-in for MiDistill.Runtime with a section whose declarations are wrong in every way the reader checks.
    private const string BrokenRuntime = """
        using System;
        namespace MiDistill.Runtime.Options;

        [AttributeUsage(AttributeTargets.Class)]
        public sealed class RecipeSectionAttribute(string name, string doc) : Attribute
        {
            public string Name { get; } = name;
            public string Doc { get; } = doc;
            public int Order { get; init; }
        }

        [AttributeUsage(AttributeTargets.Property)]
        public sealed class RecipeSettingAttribute : Attribute
        {
            public RecipeSettingAttribute() { }
            public RecipeSettingAttribute(string name) => Name = name;
            public string? Name { get; }
            public string Doc { get; init; } = "";
            public double Min { get; init; } = double.NaN;
            public double Max { get; init; } = double.NaN;
            public string? Default { get; init; }
            public string? DefaultDoc { get; init; }
            public bool PerProcess { get; init; }
        }

        public sealed record ExperimentOptions
        {
            public StageOptions Stage { get; init; } = new() { Seed = 0 };
        }

        [RecipeSection("stage", "A stage.", Order = 1)]
        public sealed record StageOptions
        {
            [RecipeSetting(Doc = "fine", Min = 1, Default = "10")] public int Epochs { get; init; } = 10;
            [RecipeSetting(Doc = "no default written")] public int Batch { get; init; } = 32;
            [RecipeSetting(Doc = "required, with a default", Default = "1")] public required int Seed { get; init; }
            [RecipeSetting(Doc = "read-only", Default = "3")] public int Fixed => 3;
            [RecipeSetting(Doc = "a type no recipe writes", Default = "0")] public DateTime When { get; init; }
            [RecipeSetting(Doc = "out of its own range", Min = 1, Default = "0")] public int Steps { get; init; }
            [RecipeSetting("epochs", Doc = "a second `epochs`", Default = "1")] public int MoreEpochs { get; init; } = 1;
        }

        [RecipeSection("orphan", "No property of ExperimentOptions holds it.", Order = 2)]
        public sealed record OrphanOptions
        {
            [RecipeSetting(Doc = "x", Default = "1")] public int X { get; init; } = 1;
        }
        """;

    private static MetadataReference Runtime(string source)
    {
        var bcl = References.Where(r => !Path.GetFileName(r.Display ?? "").StartsWith("MiDistill.", StringComparison.Ordinal));
        var compilation = CSharpCompilation.Create("MiDistill.Runtime", new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) }, bcl,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return MetadataReference.CreateFromImage(image.ToArray());
    }

    [Fact]
    public void MD0901_a_section_declaration_the_compiler_cannot_use_is_reported_with_what_to_change()
    {
        var bcl = References.Where(r => !Path.GetFileName(r.Display ?? "").StartsWith("MiDistill.", StringComparison.Ordinal));
        var compilation = CSharpCompilation.Create("Recipes", Array.Empty<SyntaxTree>(), bcl.Append(Runtime(BrokenRuntime)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        // (The recipe itself meets the invalid default of `steps` too, which is MD0900 at the recipe.)
        var result = Result(Run(CreateDriver(new InMemoryText("/project/r.distill", "recipe r { stage { epochs 2 } }\n")), compilation));
        const string At = "error MD0901: recipe form MiDistill.Runtime.Options.";
        Assert.Equal(new[]
        {
            At + "StageOptions: setting Batch of `stage`: give its initial value in recipe syntax as Default (an initialiser is not in metadata, so the recipe compiler cannot read it), or make the property `required`",
            At + "StageOptions: setting Seed of `stage`: a required property has no default; remove Default and DefaultDoc, or `required`",
            At + "StageOptions: setting Fixed of `stage`: a setting is a public instance property with a public init (or set) accessor, which the generated code assigns",
            At + "StageOptions: setting When of `stage`: type System.DateTime cannot be written in a recipe; use int, double, bool, string, an enum, a recipe choice (e.g. StudentOptions) or IReadOnlyList<> of those",
            At + "OrphanOptions: the section `orphan` (OrphanOptions) is not the type of a property of ExperimentOptions, so no recipe can set it",
            At + "StageOptions: the default `0` of setting `steps` of `stage` is not valid: `stage.steps` = 0 is out of range; expected >= 1",
            At + "StageOptions: the setting `epochs` of `stage` is declared twice; give MoreEpochs another name",
        }, result.Diagnostics.Where(d => d.Id == "MD0901").Select(d => d.ToString()));
    }

    [Fact]
    public void An_unrelated_csharp_edit_leaves_the_sections_read_from_the_runtime_unchanged()
    {
        var text = new InMemoryText("/project/r.distill", "recipe r {\n  teacher { pretrain upstream(classes: 0..4) }\n  data { classes 5..9 }\n}\n");
        var compilation = EmptyCompilation().AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Other { }", path: "/project/Other.cs"));
        var driver = Run(CreateDriver(text), compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(), CSharpSyntaxTree.ParseText("class Other { int x; }", path: "/project/Other.cs"));
        var result = Result(Run(driver, edited));
        Assert.Equal(new[] { IncrementalStepRunReason.Unchanged }, Outputs(result, StepNames.ReferencedSections));
        Assert.All(Outputs(result, StepNames.Compiled), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }
}
