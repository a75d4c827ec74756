using System;
using System.Collections.Generic;
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
/// Forms written in the user's own C#: read by the generator from the compilation and checked like
/// built-ins; and every built-in form's emitted code compiled against the runtime.
/// </summary>
public class UserFormTests
{
    private const string UserForms = """
        using MiDistill.Runtime.Options;
        using TorchSharp;
        using static TorchSharp.torch;

        namespace My.Experiments;

        [RecipeForm("my_cnn", "The user's own student.")]
        public sealed record MyCnnOptions(
            [RecipeArg(Doc = "channels", Min = 4, Max = 512)] int Width = 32,
            [RecipeArg(Doc = "dropout", Min = 0, Max = 1, MaxExclusive = true)] double Dropout = 0.1) : StudentOptions
        {
            public override nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses) => nn.Linear(inChannels, numClasses);
        }

        [RecipeForm("soft_ce", "The user's own loss.")]
        public sealed record SoftCeOptions([RecipeArg(Doc = "temperature", Min = 0, MinExclusive = true)] double Temperature = 2) : DistillLossOptions
        {
            public override Tensor Compute(Tensor s, Tensor? t, Tensor y) => nn.functional.cross_entropy(s, y);
        }
        """;

    private const string Path = "/project/r.distill";

    // Lines 1-10; the student is on line 9, at column 13.
    private static string Recipe(string student, string loss = "kd") =>
        "recipe r {\n  teacher {\n    pretrain upstream(classes: 0..4)\n  }\n  data {\n    classes 5..9\n  }\n  distill {\n    student " + student + "\n    loss " + loss + "\n  }\n}\n";

    private static CSharpCompilation WithSource(string source) =>
        EmptyCompilation().AddSyntaxTrees(CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "/project/MyForms.cs"));

    private static (GeneratorRunResult Result, Compilation Output) Generate(string recipe, string source = UserForms)
    {
        var compilation = WithSource(source);
        var driver = CreateDriver(new InMemoryText(Path, recipe)).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return (Result(driver), output);
    }

    private static string[] Diagnostics(GeneratorRunResult result) => result.Diagnostics.Select(d => d.ToString()).ToArray();

    [Fact]
    public void A_users_student_and_loss_are_used_by_the_recipe_and_the_result_compiles()
    {
        var (result, output) = Generate(Recipe("my_cnn(width: 8)", "soft_ce(temperature: 3)"));
        Assert.Empty(Diagnostics(result));
        var code = Source(result, "RRecipe.g.cs");
        Assert.Contains("Student = new global::My.Experiments.MyCnnOptions(Width: 8, Dropout: 0.1),", code);
        Assert.Contains("Loss = new global::My.Experiments.SoftCeOptions(Temperature: 3d),", code);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
    }

    [Fact]
    public void An_unknown_argument_of_a_users_form_is_reported_with_a_suggestion() => Assert.Equal(
        new[] { "/project/r.distill(9,20): error MD0104: `my_cnn` has no argument `widht` (did you mean `width`?); its arguments are `width`, `dropout`" },
        Diagnostics(Generate(Recipe("my_cnn(widht: 8)")).Result));

    [Fact]
    public void A_users_range_is_checked_at_the_value() => Assert.Equal(
        new[] { "/project/r.distill(9,27): error MD0106: `distill.student.width` = 1024 is out of range; expected 4..512" },
        Diagnostics(Generate(Recipe("my_cnn(width: 1024)")).Result));

    [Fact]
    public void A_users_type_is_checked_at_the_value() => Assert.Equal(
        new[] { "/project/r.distill(9,29): error MD0105: `distill.student.dropout` expects a number, but found the string \"high\"" },
        Diagnostics(Generate(Recipe("my_cnn(dropout: \"high\")")).Result));

    [Fact]
    public void A_users_forms_are_listed_among_the_known_forms() => Assert.Equal(
        new[] { "/project/r.distill(9,13): error MD0103: `my_cnm` is not a valid `distill.student` (did you mean `my_cnn`?); expected one of `cnn_small`, `efficientnetv2_b0`, `mobilenet_v2`, `my_cnn`, `resnet18`" },
        Diagnostics(Generate(Recipe("my_cnm")).Result));

    [Fact]
    public void MD0901_an_argument_type_a_recipe_cannot_write_is_reported_at_the_record()
    {
        const string source = """
            using MiDistill.Runtime.Options;
            using static TorchSharp.torch;
            namespace My;
            [RecipeForm("odd", "A student with an argument no recipe can write.")]
            public sealed record OddOptions(System.DateTime When) : StudentOptions
            {
                public override nn.Module<Tensor, Tensor> Create(int c, int n) => nn.Linear(c, n);
            }
            """;
        var diagnostic = Assert.Single(Generate(Recipe("cnn_small"), source).Result.Diagnostics);
        Assert.Equal("/project/MyForms.cs(5,22): error MD0901: recipe form My.OddOptions: `odd` argument `When`: type System.DateTime cannot be written in a recipe; use int, double, bool, string, an enum, a recipe choice (e.g. StudentOptions) or IReadOnlyList<> of those", diagnostic.ToString());
    }

    [Fact]
    public void MD0901_a_name_a_built_in_form_has_and_a_default_out_of_its_range_are_reported()
    {
        const string source = """
            using MiDistill.Runtime.Options;
            using static TorchSharp.torch;
            namespace My;
            [RecipeForm("resnet18", "Clashes with the built-in student.")]
            public sealed record Mine([RecipeArg(Min = 1, Max = 4)] int Depth = 9) : StudentOptions
            {
                public override nn.Module<Tensor, Tensor> Create(int c, int n) => nn.Linear(c, n);
            }
            """;
        Assert.Equal(new[]
        {
            "/project/MyForms.cs(5,22): error MD0901: recipe form My.Mine: the student form `resnet18` is already declared by MiDistill.Runtime.Options.ResNetOptions; give this one another name",
        }, Diagnostics(Generate(Recipe("cnn_small"), source).Result));

        var renamed = source.Replace("\"resnet18\"", "\"mine\"");
        Assert.Equal(new[]
        {
            "/project/MyForms.cs(5,22): error MD0901: recipe form My.Mine: the default `9` of argument `depth` of `mine` is not valid: `mine.depth` = 9 is out of range; expected 1..4",
        }, Diagnostics(Generate(Recipe("cnn_small"), source.Replace("\"resnet18\"", "\"mine\"")).Result));
    }

    private const string UserTeacher = """
        using MiDistill.Runtime.Models;
        using MiDistill.Runtime.Options;

        namespace My.Experiments;

        [RecipeForm("deep_narrow", "The user's own teacher: a deep, narrow ViT for 28x28 images.")]
        public sealed record DeepNarrowOptions([RecipeArg(Doc = "blocks", Min = 1, Max = 24)] int Depth = 8) : TeacherModelOptions
        {
            public override string ModelName => "deep_narrow";
            public override int InputSize => 28;
            public override int InputChannels => 1;
            public override VisionTransformer Create(int numClasses) =>
                (new VitOptions { Name = ModelName, PatchSize = 7, EmbedDim = 32, Heads = 2, Depth = Depth }).Create(numClasses);
        }
        """;

    [Fact]
    public void A_users_teacher_model_is_a_form_of_teacher_model_beside_vit()
    {
        string Teacher(string model) => "recipe r {\n  teacher {\n    model " + model + "\n    pretrain upstream(classes: 0..4)\n  }\n  data {\n    classes 5..9\n  }\n}\n";
        var (result, output) = Generate(Teacher("deep_narrow(depth: 3)"), UserTeacher);
        Assert.Empty(Diagnostics(result));
        Assert.Contains("Model = new global::My.Experiments.DeepNarrowOptions(Depth: 3),", Source(result, "RRecipe.g.cs"));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
        Assert.Equal(new[] { "/project/r.distill(3,30): error MD0106: `teacher.model.depth` = 99 is out of range; expected 1..24" },
            Diagnostics(Generate(Teacher("deep_narrow(depth: 99)"), UserTeacher).Result));
        Assert.Equal(new[] { "/project/r.distill(3,11): error MD0103: `vitt` is not a valid `teacher.model` (did you mean `vit`?); expected one of `vit`, `deep_narrow`" },
            Diagnostics(Generate(Teacher("vitt"), UserTeacher).Result));
    }

    [Fact]
    public void The_runtimes_own_declarations_have_no_problems() => Assert.Empty(BuiltInSchema.Problems.Select(p => p.Type + ": " + p.Message));

    [Fact]
    public void An_unrelated_csharp_edit_leaves_the_recipe_steps_cached()
    {
        var text = new InMemoryText(Path, Recipe("my_cnn(width: 8)"));
        var compilation = WithSource(UserForms).AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Other { }", path: "/project/Other.cs"));
        var driver = Run(CreateDriver(text), compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Last(), CSharpSyntaxTree.ParseText("class Other { int x; }", path: "/project/Other.cs"));
        var result = Result(Run(driver, edited));
        Assert.All(Outputs(result, StepNames.ReferencedForms), r => Assert.Equal(IncrementalStepRunReason.Unchanged, r));
        Assert.All(Outputs(result, StepNames.Catalog), r => Assert.Contains(r, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.All(Outputs(result, StepNames.Compiled), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(Outputs(result, StepNames.Recipes), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Changing_a_users_form_recompiles_the_recipe_against_it()
    {
        var text = new InMemoryText(Path, Recipe("my_cnn(width: 8)"));
        var compilation = WithSource(UserForms);
        var driver = Run(CreateDriver(text), compilation);
        var narrowed = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(UserForms.Replace("Min = 4, Max = 512", "Min = 16, Max = 512"), new CSharpParseOptions(LanguageVersion.Latest), path: "/project/MyForms.cs"));
        var result = Result(Run(driver, narrowed));
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Outputs(result, StepNames.Compiled));
        Assert.Equal("/project/r.distill(9,27): error MD0106: `distill.student.width` = 8 is out of range; expected 16..512", Assert.Single(result.Diagnostics).ToString());
    }

    [Fact]
    public void A_relative_checkpoint_path_is_checked_in_the_project_folder_and_the_class_carries_that_folder()
    {
        var project = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "midistill-project-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(project);
        try
        {
            System.IO.File.WriteAllText(System.IO.Path.Combine(project, "teacher.safetensors"), "");
            string Recipe(string file) => "recipe r {\n  teacher {\n    weights checkpoint(path: \"" + file + "\")\n  }\n  data {\n    classes 5..9\n  }\n}\n";
            var properties = new Dictionary<string, string> { ["MSBuildProjectDirectory"] = project };
            // The recipe sits in a subfolder elsewhere; its relative path still means the project's file.
            var found = Result(Run(CreateDriver(properties, new InMemoryText("/elsewhere/recipes/r.distill", Recipe("teacher.safetensors"))), EmptyCompilation()));
            Assert.Empty(found.Diagnostics);
            Assert.Contains("public string? ProjectDirectory => " + System.Text.Json.JsonSerializer.Serialize(project) + ";", Source(found, "RRecipe.g.cs"));

            var missing = Result(Run(CreateDriver(properties, new InMemoryText("/elsewhere/recipes/r.distill", Recipe("missing.safetensors"))), EmptyCompilation()));
            Assert.Equal("/elsewhere/recipes/r.distill(3,30): warning MD0205: checkpoint file \"missing.safetensors\" does not exist (looked for "
                + System.IO.Path.Combine(project, "missing.safetensors") + "); the run fails unless it appears before then", Assert.Single(missing.Diagnostics).ToString());
        }
        finally
        {
            System.IO.Directory.Delete(project, recursive: true);
        }
    }

    // Where each choice's forms can be written in a recipe, with what the cross-setting checks need.
    private static readonly Dictionary<string, Func<string, string>> Placement = new()
    {
        ["student"] = f => $"distill.student = {f}",
        ["distill_loss"] = f => $"distill.loss = {f}",
        ["objective"] = f => $"finetune.objective = {f}",
        ["reweight"] = f => $"finetune.reweight = {f}",
        ["optimizer"] = f => $"finetune.optimizer = {f}",
        ["lr_schedule"] = f => $"distill.schedule = {f}",
        ["reweight_schedule"] = f => $"finetune.reweight = mlp(schedule: {f})",
        ["augmentation"] = f => $"finetune.augment = [{f}]",
        ["regime"] = f => $"data.regime = {f}",
        ["data_source"] = f => $"data.source = {f}",
        ["estimator"] = f => $"analyze.estimator = {f}; analyze.mi_per_block = true",
        ["kernel_width"] = f => $"analyze.estimator = renyi(kernel: {f}); analyze.mi_per_block = true",
    };

    // The smallest value of a required argument that passes the cross-setting checks.
    private static string Example(string form, Argument argument) => (form, argument.Name) switch
    {
        ("mlp_blocks", "alphas") => "[1, 1, 0.5, 0.5]",
        ("few_shot", "per_class") => "5",
        _ => argument.Type switch
        {
            IntType t => Math.Max(t.Min, 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            FloatType => "1",
            StringType => "\"x\"",
            ChoiceType c => c.Forms[0].Name,
            _ => throw new InvalidOperationException($"no example for {form}.{argument.Name}"),
        },
    };

    [Fact]
    public void Every_built_in_form_compiles_against_the_runtime()
    {
        var schema = BuiltInSchema.Value;
        var variants = new List<string>();
        foreach (var choice in BuiltInSchema.Catalog.Choices)
        {
            Assert.True(Placement.ContainsKey(choice.Id), $"choice `{choice.Id}` has no placement in this test");
            foreach (var form in schema.Choice(choice.Id).Forms)
            {
                var required = form.Arguments.Where(a => a.Required).Select(a => $"{a.Name}: {Example(form.Name, a)}").ToList();
                var written = required.Count == 0 ? form.Name : $"{form.Name}({string.Join(", ", required)})";
                variants.Add($"    v_{choice.Id}_{form.Name} {{ {Placement[choice.Id](written)} }}");
            }
        }
        var recipe = "recipe every_form {\n  teacher { pretrain upstream(classes: 0..4) }\n  data { classes 5..9 }\n  variants {\n" + string.Join("\n", variants) + "\n  }\n}\n";
        var driver = CreateDriver(new InMemoryText("/project/every.distill", recipe)).RunGeneratorsAndUpdateCompilation(EmptyCompilation(), out var output, out _);
        var result = Result(driver);
        Assert.Empty(result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
        Assert.True(variants.Count >= 30, $"only {variants.Count} built-in forms");
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
        var code = Source(result, "EveryFormRecipe.g.cs");
        foreach (var form in new[] { "AsamObjective", "MlpBlocksReweight", "StepLr", "SgdOptions", "LongTailRegime", "DistLossOptions", "LabelsOnlyLossOptions", "FixedKernelWidth", "ImageFolderSource" })
            Assert.Contains("global::MiDistill.Runtime.Options." + form + "(", code);
    }
}
