using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Semantics;

namespace MiDistill.Dsl.Tests.Semantics;

/// <summary>
/// One test per semantic diagnostic id: the exact text (file, line, column, severity, id, message)
/// of everything the compiler reports. MD0001 lives in the parser tables, MD0900 in the generator tests.
/// </summary>
public class DiagnosticTests
{
    // The smallest valid recipe: everything else has a default. Lines 1-7.
    private const string Teacher = "  teacher {\n    pretrain upstream(classes: 0..4)\n  }\n";
    private const string Data = "  data {\n    classes 5..9\n  }\n";

    private static string Recipe(string body) => "recipe r {\n" + body + "}\n";

    private static string[] Compile(string text) =>
        RecipeCompiler.Compile("r.distill", text).Diagnostics.Select(d => d.ToString()).ToArray();

    private static void AssertDiagnostics(string text, params string[] expected) => Assert.Equal(expected, Compile(text));

    [Fact]
    public void Minimal_recipe_has_no_diagnostics() => AssertDiagnostics(Recipe(Teacher + Data));

    [Fact]
    public void MD0101_unknown_section_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetun {\n    epochs 3\n  }\n"),
        "r.distill(8,3): error MD0101: unknown section `finetun` (did you mean `finetune`?); sections are `teacher`, `data`, `finetune`, `distill`, `evaluate`, `run`, `analyze`, `variants`");

    [Fact]
    public void MD0102_unknown_setting_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epoch 3\n  }\n"),
        "r.distill(9,5): error MD0102: unknown setting `epoch` in `finetune` (did you mean `epochs`?); settings of `finetune` are `objective`, `reweight`, `optimizer`, `schedule`, `epochs`, `batch_size`");

    [Fact]
    public void MD0102_setting_of_another_section_names_that_section() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    batch_size 8\n  }\n"),
        "r.distill(7,5): error MD0102: unknown setting `batch_size` in `data` (`batch_size` belongs in the `finetune` section); settings of `data` are `source`, `path`, `classes`, `regime`, `validation`, `test_images`, `seed`");

    [Fact]
    public void MD0103_unknown_form_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective samm(rho: 0.1)\n  }\n"),
        "r.distill(9,15): error MD0103: `samm` is not a valid `finetune.objective` (did you mean `sam`?); expected one of `cross_entropy`, `sam`");

    [Fact]
    public void MD0104_unknown_argument_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective sam(roh: 0.1)\n  }\n"),
        "r.distill(9,19): error MD0104: `sam` has no argument `roh` (did you mean `rho`?); its arguments are `rho`");

    [Fact]
    public void MD0105_wrong_type() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epochs 1.5\n  }\n"),
        "r.distill(9,12): error MD0105: `finetune.epochs` expects an integer, but found the number `1.5`");

    [Fact]
    public void MD0106_out_of_range() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epochs 0\n  }\n"),
        "r.distill(9,12): error MD0106: `finetune.epochs` = 0 is out of range; expected 1..100000");

    [Fact]
    public void MD0107_missing_required_setting_points_at_its_section() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    seed 1\n  }\n"),
        "r.distill(5,3): error MD0107: `data.classes` is required: downstream classes, relabelled 0..C-1 in this order; add it to the `data` section, e.g. `classes 0..4`");

    [Fact]
    public void MD0107_missing_section_points_at_the_recipe_name() => AssertDiagnostics(
        Recipe(Teacher),
        "r.distill(1,8): error MD0107: `data.classes` is required: downstream classes, relabelled 0..C-1 in this order; add `data { classes ... }` to the recipe, e.g. `classes 0..4`");

    [Fact]
    public void MD0107_missing_required_argument() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot\n  }\n"),
        "r.distill(7,12): error MD0107: argument `per_class` of `few_shot` is required: images per class (k), validation included; write `few_shot(per_class: ...)`");

    [Fact]
    public void MD0108_duplicate_recipe_in_one_file() => AssertDiagnostics(
        Recipe(Teacher + Data) + Recipe(Teacher + Data),
        "r.distill(9,8): error MD0108: recipe `r` is already declared at r.distill(1,8); recipe names must be unique across all .distill files");

    [Fact]
    public void MD0109_duplicate_variant() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { }\n    a { finetune.epochs = 3 }\n  }\n"),
        "r.distill(10,5): error MD0109: variant `a` is already declared in recipe `r`; rename one of them");

    [Fact]
    public void MD0110_unknown_override_setting_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { finetune.epoch = 3 }\n  }\n"),
        "r.distill(9,18): error MD0110: variant `a` overrides `finetune.epoch`, which does not exist (did you mean `finetune.epochs`?); write `section.setting = value` or `section.setting.argument = value`");

    [Fact]
    public void MD0110_unknown_override_section_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { finetuen.epochs = 3 }\n  }\n"),
        "r.distill(9,9): error MD0110: variant `a` overrides `finetuen.epochs`, which does not exist (did you mean `finetune`?); write `section.setting = value` or `section.setting.argument = value`");

    [Fact]
    public void MD0110_argument_of_a_form_without_arguments() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { finetune.reweight.top = 3 }\n  }\n"),
        "r.distill(9,27): error MD0110: variant `a` overrides `finetune.reweight.top`, which does not exist (the base value `none` has no arguments); write `section.setting = value` or `section.setting.argument = value`");

    [Fact]
    public void MD0110_section_alone_is_not_a_setting() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { run = 3 }\n  }\n"),
        "r.distill(9,9): error MD0110: variant `a` overrides `run`, which does not exist as a setting (`run` is a section; its settings are `device`, `threads`, `seed`, `output`, `cache`); write `section.setting = value` or `section.setting.argument = value`");

    [Fact]
    public void MD0111_setting_given_twice() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epochs 3\n    epochs 4\n  }\n"),
        "r.distill(10,5): error MD0111: `finetune.epochs` is already set on line 9; remove one of them");

    [Fact]
    public void MD0111_argument_given_twice() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective sam(rho: 0.1, rho: 0.2)\n  }\n"),
        "r.distill(9,29): error MD0111: `finetune.objective.rho` is already set on line 9; remove one of them");

    [Fact]
    public void MD0112_section_given_twice() => AssertDiagnostics(
        Recipe(Teacher + Data + "  data {\n    seed 3\n  }\n"),
        "r.distill(8,3): error MD0112: section `data` is already declared on line 5; merge them into one");

    [Fact]
    public void MD0113_reweighting_deeper_than_the_teacher() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    reweight mlp(top: 9, alpha: 0.5)\n  }\n"),
        "r.distill(9,23): error MD0113: `reweight` top = 9 exceeds the teacher's depth (4 blocks of `tiny_28`); use at most 4");

    [Fact]
    public void MD0113_is_checked_on_each_variant_at_its_override() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { finetune.reweight = mlp(top: 9) }\n    b { finetune.reweight = mlp(top: 4) }\n  }\n"),
        "r.distill(9,38): error MD0113: `reweight` top = 9 exceeds the teacher's depth (4 blocks of `tiny_28`); use at most 4");

    [Fact]
    public void MD0114_more_shots_than_the_smallest_class() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot(per_class: 7000)\n  }\n"),
        "r.distill(7,32): error MD0114: few_shot per_class = 7000 images per class exceeds the smallest selected class of Fashion-MNIST (6000 training images); use at most 6000");

    [Fact]
    public void MD0115_empty_class_range() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 9..5\n  }\n"),
        "r.distill(6,13): error MD0115: `data.classes` = 9..5 is an empty class range; write the smaller class first, e.g. `5..9`");

    [Fact]
    public void MD0115_class_that_does_not_exist_points_at_the_item() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes [5, 12]\n  }\n"),
        "r.distill(6,17): error MD0115: class 12 in `data.classes` does not exist; Fashion-MNIST has classes 0..9");

    [Fact]
    public void MD0116_width_not_divisible_by_heads() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(preset: tiny_28, heads: 3)\n    pretrain upstream(classes: 0..4)\n  }\n" + Data),
        "r.distill(3,39): error MD0116: the teacher's width dim = 64 is not divisible by heads = 3; choose heads that divide 64");

    [Fact]
    public void MD0117_file_without_recipe() => AssertDiagnostics(
        "# nothing here yet\n",
        "r.distill(1,1): error MD0117: this .distill file declares no recipe; start with `recipe <name> { ... }`");

    [Fact]
    public void MD0201_tiny_sam_radius_warns() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective sam(rho: 0.001)\n  }\n"),
        "r.distill(9,24): warning MD0201: SAM rho = 0.001 is below 0.01: the perturbation is too small to change the optimum, and SAM then costs twice the compute of cross-entropy for nothing; the method uses rho >= 0.05");

    [Fact]
    public void MD0202_reweight_alpha_one_warns() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    reweight mlp(alpha: 1)\n  }\n"),
        "r.distill(9,25): warning MD0202: `reweight` with alpha = 1 leaves every block unchanged; use `reweight none` or an alpha below 1");

    [Fact]
    public void MD0203_overlapping_classes_warn() => AssertDiagnostics(
        Recipe("  teacher {\n    pretrain upstream(classes: 0..5)\n  }\n" + Data),
        "r.distill(6,13): warning MD0203: pretraining classes [0, 1, 2, 3, 4, 5] overlap the downstream classes [5, 6, 7, 8, 9]; images stay disjoint, but a class-disjoint split is the faithful setting");

    [Fact]
    public void MD0204_large_teacher_on_the_cpu_warns() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(preset: vit_tiny_patch16_224)\n    pretrain upstream(classes: 0..4)\n  }\n" + Data),
        "r.distill(3,11): warning MD0204: teacher `vit_tiny_patch16_224` has 12 blocks of width 192; training it on the CPU will take hours. Use a `_28` preset on the CPU, or `run { device cuda }`");

    [Fact]
    public void MD0204_is_silent_when_the_recipe_asks_for_cuda() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(preset: vit_tiny_patch16_224)\n    pretrain upstream(classes: 0..4)\n  }\n" + Data + "  run {\n    device cuda\n  }\n"));

    [Fact]
    public void Warnings_do_not_drop_the_recipe()
    {
        var result = RecipeCompiler.Compile("r.distill", Recipe(Teacher + Data + "  finetune {\n    objective sam(rho: 0.001)\n  }\n"));
        Assert.False(result.HasErrors);
        Assert.Single(result.Recipes);
    }

    [Fact]
    public void Errors_drop_the_recipe()
    {
        var result = RecipeCompiler.Compile("r.distill", Recipe(Teacher + Data + "  finetune {\n    epochs 0\n  }\n"));
        Assert.True(result.HasErrors);
        Assert.Empty(result.Recipes);
    }

    /// <summary>Every id in the table has a test above (or, for MD0001/MD0900, in the parser and generator tests).</summary>
    [Fact]
    public void Every_descriptor_id_is_tested()
    {
        var testedHere = new[] { typeof(DiagnosticTests), typeof(AnalyzeDiagnosticTests) }
            .SelectMany(t => t.GetMethods()).Select(m => m.Name).Where(n => n.StartsWith("MD")).Select(n => n.Substring(0, 6));
        var tested = testedHere.Concat(new[] { "MD0001", "MD0900" }).ToHashSet();
        var untested = Descriptors.All.Select(d => d.Id).Where(id => !tested.Contains(id)).ToList();
        Assert.True(untested.Count == 0, "no test for " + string.Join(", ", untested));
    }

    [Fact]
    public void Descriptor_ids_are_unique_and_in_their_ranges()
    {
        Assert.Equal(Descriptors.All.Length, Descriptors.All.Select(d => d.Id).Distinct().Count());
        foreach (var d in Descriptors.All)
        {
            int n = int.Parse(d.Id.Substring(2));
            bool ok = d.Severity == DiagnosticSeverity.Warning ? n is >= 200 and < 300 : n is < 200 or >= 900;
            Assert.True(ok, d.Id + " is outside the range of its kind");
        }
    }
}
