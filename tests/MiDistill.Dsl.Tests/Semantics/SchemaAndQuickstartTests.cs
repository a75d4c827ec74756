using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Semantics;

public class SchemaAndQuickstartTests
{
    /// <summary>Every argument of every section and form, recursively, with its dotted label.</summary>
    public static IEnumerable<(string Label, Argument Argument)> AllArguments()
    {
        IEnumerable<(string, Argument)> Walk(string label, Argument argument)
        {
            yield return (label, argument);
            if (argument.Type is ChoiceType choice)
                foreach (var form in choice.Forms)
                    foreach (var inner in form.Arguments)
                        foreach (var x in Walk(label + "." + form.Name + "." + inner.Name, inner))
                            yield return x;
        }
        return BuiltInSchema.Value.Sections.SelectMany(s => s.Settings.SelectMany(a => Walk(s.Name + "." + a.Name, a)));
    }

    public static TheoryData<string> Defaults()
    {
        var data = new TheoryData<string>();
        foreach (var (label, argument) in AllArguments().Where(a => a.Argument.Default is not null)) data.Add(label);
        return data;
    }

    // BindDefault throws when a schema default does not parse or does not fit its own type and range.
    [Theory]
    [MemberData(nameof(Defaults))]
    public void Schema_default_binds_without_diagnostics(string label)
    {
        var argument = AllArguments().Single(a => a.Label == label).Argument;
        var diagnostics = new List<DslDiagnostic>();
        var bound = new ValueBinder("schema", diagnostics).BindDefault(argument.Default!, argument.Type, label, SourceSpan.None);
        Assert.NotNull(bound);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Schema_has_defaults_to_check() => Assert.True(AllArguments().Count(a => a.Argument.Default is not null) > 30);

    [Fact]
    public void Schema_names_are_unique_and_snake_case()
    {
        foreach (var section in BuiltInSchema.Value.Sections)
            Assert.Equal(section.Settings.Count, section.Settings.Select(s => s.Name).Distinct().Count());
        Assert.All(AllArguments(), a => Assert.Matches("^[a-z][a-z0-9_]*$", a.Argument.Name));
    }

    private static CompiledFile Quickstart() => RecipeCompiler.Compile("quickstart.distill", Repo.QuickstartText, BuiltInSchema.Value);

    [Fact]
    public void Quickstart_compiles_without_diagnostics()
    {
        var result = Quickstart();
        Assert.Empty(result.Diagnostics.Select(d => d.ToString()));
        var recipe = Assert.Single(result.Recipes);
        Assert.Equal("quickstart", recipe.Name);
        Assert.Equal(new[] { "labels_only", "vanilla", "sam", "remem" }, recipe.Variants.Select(v => v.Name));
    }

    private static VariantSpec Variant(string name) => Quickstart().Recipes[0].Variants.Single(v => v.Name == name);

    private static FormValue Form(VariantSpec v, string section, string setting) => Assert.IsType<FormValue>(v.Get(section, setting));

    [Fact]
    public void Quickstart_vanilla_is_cross_entropy_without_reweighting()
    {
        var v = Variant("vanilla");
        Assert.Equal(new FormValue("cross_entropy", EquatableArray<ResolvedArgument>.Empty), v.Get("finetune", "objective"));
        Assert.Equal("none", Form(v, "finetune", "reweight").Form);
    }

    [Fact]
    public void Quickstart_labels_only_is_the_baseline_student_without_a_teacher() =>
        Assert.Equal("labels_only", Form(Variant("labels_only"), "distill", "loss").Form);

    [Fact]
    public void Quickstart_sam_keeps_sam_and_drops_reweighting()
    {
        var v = Variant("sam");
        var objective = Form(v, "finetune", "objective");
        Assert.Equal("sam", objective.Form);
        Assert.Equal(new FloatValue(0.05), objective.Argument("rho"));
        Assert.Equal("none", Form(v, "finetune", "reweight").Form);
    }

    [Fact]
    public void Quickstart_remem_has_sam_and_mlp_reweighting_of_the_top_two_blocks()
    {
        var v = Variant("remem");
        Assert.Equal("sam", Form(v, "finetune", "objective").Form);
        var reweight = Form(v, "finetune", "reweight");
        Assert.Equal("mlp", reweight.Form);
        Assert.Equal(new IntValue(2), reweight.Argument("top"));
        Assert.Equal(new FloatValue(0.5), reweight.Argument("alpha"));
        Assert.Equal("constant", Assert.IsType<FormValue>(reweight.Argument("schedule")).Form); // schema default
    }

    [Theory]
    [InlineData("vanilla")]
    [InlineData("sam")]
    [InlineData("remem")]
    public void Quickstart_shared_settings_match_the_recipe_in_every_variant(string name)
    {
        var v = Variant(name);
        Assert.Equal(new IntValue(30), v.Get("finetune", "epochs"));
        Assert.Equal(new IntValue(16), v.Get("finetune", "batch_size"));
        Assert.Equal(new IntValue(40), v.Get("distill", "epochs"));
        Assert.Equal(new IntListValue(Enumerable.Range(0, 10).ToEquatableArray()), v.Get("data", "classes"));
        Assert.Equal(new FloatValue(0), v.Get("data", "validation")); // 0%: every labelled image trains
        Assert.Equal(new IntValue(0), v.Get("data", "seed"));
        Assert.Equal(new IntValue(100), v.Get("data", "reserve"));
        var regime = Form(v, "data", "regime");
        Assert.Equal(("few_shot", (ResolvedValue?)new IntValue(5)), (regime.Form, regime.Argument("per_class")));
        var loss = Form(v, "distill", "loss");
        Assert.Equal(new FloatValue(4), loss.Argument("temperature"));
        Assert.Equal(new FloatValue(0.7), loss.Argument("weight"));
        var pretrain = Form(v, "teacher", "pretrain");
        Assert.Equal(new IntListValue(Enumerable.Range(0, 10).ToEquatableArray()), pretrain.Argument("classes"));
        Assert.Equal(new IntValue(4), pretrain.Argument("epochs"));
        Assert.Equal(new IntValue(0), pretrain.Argument("max_images")); // schema default: all upstream images
        // The preset fills the dimensions the recipe leaves out (tiny_28: 4 blocks of width 64, patch 4).
        var vit = Form(v, "teacher", "model");
        Assert.Equal(new IntValue(4), vit.Argument("depth"));
        Assert.Equal(new IntValue(64), vit.Argument("dim"));
        Assert.Equal(new IntValue(4), vit.Argument("patch"));
        // Defaults come from the schema.
        Assert.Equal(new StringValue("runs"), v.Get("run", "output"));
        Assert.Equal(new NameListValue(new[] { "accuracy" }.ToEquatableArray()), v.Get("evaluate", "metrics"));
        Assert.Equal(new IntListValue(new[] { 0, 1, 2 }.ToEquatableArray()), v.Get("run", "seed"));
    }

    [Fact]
    public void Nested_override_changes_only_that_argument()
    {
        var text = Repo.QuickstartText.Replace("remem       { }", "remem       { finetune.reweight.schedule = ramp(epochs: 3) }\n    deep { finetune.reweight.alpha = 0.25 }");
        Assert.Contains("deep {", text);
        var result = RecipeCompiler.Compile("quickstart.distill", text, BuiltInSchema.Value);
        Assert.Empty(result.Diagnostics);
        var variants = result.Recipes[0].Variants;
        var remem = (FormValue)variants.Single(v => v.Name == "remem").Get("finetune", "reweight");
        Assert.Equal(new FormValue("ramp", new[] { new ResolvedArgument("epochs", new IntValue(3)) }.ToEquatableArray()), remem.Argument("schedule"));
        Assert.Equal(new IntValue(2), remem.Argument("top"));
        var deep = (FormValue)variants.Single(v => v.Name == "deep").Get("finetune", "reweight");
        Assert.Equal(new FloatValue(0.25), deep.Argument("alpha"));
        Assert.Equal(new IntValue(2), deep.Argument("top"));
    }
}
