using System.Linq;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Semantics;

/// <summary>
/// The `sweep` block: expansion into named variants (names and values read off the recipe by hand),
/// and every diagnostic of a grid with its exact position.
/// </summary>
public class SweepTests
{
    // Lines 1-10: a teacher, data, and two variants (vanilla has no SAM, so no `rho`).
    private const string Head =
        "recipe r {\n" +
        "  teacher {\n    pretrain upstream(classes: 0..4)\n  }\n" +
        "  data {\n    classes 5..9\n  }\n" +
        "  finetune { objective sam(rho: 0.05); reweight mlp(top: 1, alpha: 0.5) }\n" +
        "  run { seed [1, 2] }\n" +
        "  variants { vanilla { finetune.objective = cross_entropy; finetune.reweight = none }\n    remem { } }\n";

    private static CompiledFile Compile(string sweep) =>
        RecipeCompiler.Compile("r.distill", Head + sweep + "}\n", BuiltInSchema.Value);

    // One string per diagnostic, joined, so a mismatch shows the differing text rather than a truncated array.
    private static string Diagnostics(string sweep) => string.Join("\n", Compile(sweep).Diagnostics.Select(d => d.ToString()));

    private static string Lines(params string[] lines) => string.Join("\n", lines);

    private static double Arg(VariantSpec variant, string section, string setting, string argument) =>
        ((FloatValue)((FormValue)variant.Get(section, setting)).Argument(argument)!).Value;

    [Fact]
    public void Grids_cross_each_other_and_the_variants_they_apply_to()
    {
        var compiled = Compile("  sweep {\n    variants [remem]\n    finetune.objective.rho [0.05, 0.1]\n    finetune.reweight.alpha [0.25, 0.5]\n  }\n");
        Assert.Empty(compiled.Diagnostics);
        var variants = compiled.Recipes.Single().Variants;
        Assert.Equal(new[] { "vanilla", "remem_rho0p05_alpha0p25", "remem_rho0p05_alpha0p5", "remem_rho0p1_alpha0p25", "remem_rho0p1_alpha0p5" },
            variants.Select(v => v.Name).ToArray());
        // The first grid is the outer loop; every other setting stays the variant's own.
        var expected = new[] { (0.05, 0.25), (0.05, 0.5), (0.1, 0.25), (0.1, 0.5) };
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i].Item1, Arg(variants[i + 1], "finetune", "objective", "rho"));
            Assert.Equal(expected[i].Item2, Arg(variants[i + 1], "finetune", "reweight", "alpha"));
            Assert.Equal(1L, ((IntValue)((FormValue)variants[i + 1].Get("finetune", "reweight")).Argument("top")!).Value);
        }
        Assert.Equal("cross_entropy", ((FormValue)variants[0].Get("finetune", "objective")).Form);
    }

    [Fact]
    public void Without_declared_variants_points_are_named_by_their_values_alone()
    {
        var text = "recipe r {\n  teacher {\n    pretrain upstream(classes: 0..4)\n  }\n  data {\n    classes 5..9\n  }\n" +
                   "  sweep { finetune.epochs [2, 4]; finetune.objective [cross_entropy, sam(rho: 0.1)] }\n}\n";
        var compiled = RecipeCompiler.Compile("r.distill", text, BuiltInSchema.Value);
        Assert.Empty(compiled.Diagnostics);
        Assert.Equal(new[] { "epochs2_objective_cross_entropy", "epochs2_objective_sam_rho0p1", "epochs4_objective_cross_entropy", "epochs4_objective_sam_rho0p1" },
            compiled.Recipes.Single().Variants.Select(v => v.Name).ToArray());
        Assert.Equal(4L, ((IntValue)compiled.Recipes.Single().Variants[2].Get("finetune", "epochs")).Value);
    }

    [Fact]
    public void Points_whose_labels_coincide_are_told_apart_by_their_position()
    {
        var compiled = Compile("  sweep { variants [remem]; data.path [\"/data/a.b\", \"/data/a_b\", \"/data/a-b\"] }\n");
        Assert.Equal(new[] { "vanilla", "remem_path__data_a_b", "remem_path__data_a_b_2", "remem_path__data_a_b_3" },
            compiled.Recipes.Single().Variants.Select(v => v.Name).ToArray());
        Assert.Equal("/data/a_b", ((StringValue)compiled.Recipes.Single().Variants[2].Get("data", "path")).Value);
    }

    [Fact]
    public void MD0106_an_out_of_range_point_is_reported_at_the_point() => Assert.Equal(
        Lines("r.distill(12,58): error MD0106: `finetune.objective.rho` = -1 is out of range; expected > 0"),
        Diagnostics("  sweep { variants [remem]; finetune.objective.rho [0.1, -1] }\n"));

    [Fact]
    public void MD0160_an_unknown_path_suggests_the_closest() => Assert.Equal(
        Lines("r.distill(12,48): error MD0160: the sweep's grid `finetune.objective.roh` does not exist in variant `remem` (did you mean `rho`?) (the base value `sam` has arguments `rho`); a grid is `section.setting [values]` or `section.setting.argument [values]`, and `variants [...]` in the sweep limits it to the variants that have the setting"),
        Diagnostics("  sweep { variants [remem]; finetune.objective.roh [0.1] }\n"));

    [Fact]
    public void MD0160_a_grid_over_an_argument_a_variant_lacks_names_the_variant() => Assert.Equal(
        Lines("r.distill(12,30): error MD0160: the sweep's grid `finetune.objective.rho` does not exist in variant `vanilla` (the base value `cross_entropy` has no arguments); a grid is `section.setting [values]` or `section.setting.argument [values]`, and `variants [...]` in the sweep limits it to the variants that have the setting"),
        Diagnostics("  sweep { finetune.objective.rho [0.1] }\n"));

    [Fact]
    public void MD0230_a_point_equal_to_another_variant_is_a_warning() => Assert.Equal(
        Lines("r.distill(12,59): warning MD0230: sweep point `remem_rho0p050` has exactly the settings of variant `remem_rho0p05`, so it would run the same experiment twice; drop the value or change the variant"),
        Diagnostics("  sweep { variants [remem]; finetune.objective.rho [0.05, 0.050] }\n"));

    [Fact]
    public void MD0230_a_point_equal_to_a_declared_variant_after_it_is_a_warning()
    {
        // `vanilla` is declared after the swept `remem`: the point that turns remem into vanilla is still reported.
        var text = "recipe r {\n  teacher {\n    pretrain upstream(classes: 0..4)\n  }\n  data {\n    classes 5..9\n  }\n" +
                   "  variants { remem { }\n    vanilla { finetune.objective = cross_entropy } }\n" +
                   "  sweep { variants [remem]; finetune.objective [sam(rho: 0.05), cross_entropy] }\n}\n";
        Assert.Equal(
            "r.distill(10,65): warning MD0230: sweep point `remem_objective_cross_entropy` has exactly the settings of variant `vanilla`, so it would run the same experiment twice; drop the value or change the variant",
            string.Join("\n", RecipeCompiler.Compile("r.distill", text, BuiltInSchema.Value).Diagnostics.Select(d => d.ToString())));
    }

    [Fact]
    public void MD0231_a_sweep_above_its_limit_says_how_many_runs() => Assert.Equal(
        // 1 unswept + 3 points = 4 variants, 2 seeds each.
        Lines("r.distill(12,3): warning MD0231: the sweep makes 8 runs (4 variants, each over its seeds), more than its limit of 7; shrink the grids, or raise `limit` if that many runs is intended"),
        Diagnostics("  sweep { limit 7; variants [remem]; finetune.epochs [1, 2, 3] }\n"));

    [Fact]
    public void A_sweep_within_its_limit_says_nothing() =>
        Assert.Equal("", Diagnostics("  sweep { limit 8; variants [remem]; finetune.epochs [1, 2, 3] }\n"));

    [Fact]
    public void MD0161_a_grid_needs_a_list_of_points() => Assert.Equal(
        Lines(
            "r.distill(12,27): error MD0161: the sweep's grid `finetune.epochs` expects a non-empty list of grid points, e.g. `finetune.epochs [a, b]`, but found the number `3`",
            "r.distill(12,45): error MD0161: the sweep's grid `distill.epochs` expects a non-empty list of grid points, e.g. `distill.epochs [a, b]`, but found an empty list"),
        Diagnostics("  sweep { finetune.epochs 3; distill.epochs [] }\n"));

    [Fact]
    public void MD0162_unknown_option_and_a_section_used_as_a_grid() => Assert.Equal(
        Lines(
            "r.distill(12,11): error MD0162: unknown sweep option `limt` (did you mean `limit`?); a sweep holds grids `section.setting [values]` and the options `limit` and `variants`",
            "r.distill(12,19): error MD0162: unknown sweep option `finetune` (`finetune` is a section; a grid names one of its settings, e.g. `finetune.objective [...]`); a sweep holds grids `section.setting [values]` and the options `limit` and `variants`"),
        Diagnostics("  sweep { limt 3; finetune [1] }\n"));

    [Fact]
    public void MD0103_an_unknown_variant_in_the_sweep() => Assert.Equal(
        Lines("r.distill(12,21): error MD0103: `rmem` is not a valid `sweep.variants` (did you mean `remem`?); expected one of `vanilla`, `remem`"),
        Diagnostics("  sweep { variants [rmem]; finetune.epochs [1, 2] }\n"));

    [Fact]
    public void MD0118_and_MD0111_repeated_points_and_grids() => Assert.Equal(
        Lines(
            "r.distill(12,31): error MD0118: `2` appears twice in `sweep finetune.epochs`; list each value once",
            "r.distill(12,35): error MD0111: `sweep finetune.epochs` is already set on line 12; remove one of them"),
        Diagnostics("  sweep { finetune.epochs [2, 2]; finetune.epochs [3] }\n"));

    [Fact]
    public void MD0163_a_sweep_the_compiler_will_not_expand()
    {
        var points = "[" + string.Join(", ", Enumerable.Range(1, 70)) + "]";
        Assert.Equal(
            Lines("r.distill(12,3): error MD0163: the sweep expands to more than 4096 variants (2 variant(s) x 70 x 70 grid points); the compiler expands at most 4096: shrink the grids or split the study into several recipes"),
            Diagnostics("  sweep { finetune.epochs " + points + "; distill.epochs " + points + " }\n"));
    }

    [Fact]
    public void A_point_that_breaks_a_cross_setting_check_is_reported_at_the_point() => Assert.Equal(
        Lines("r.distill(12,55): error MD0113: `reweight` top = 9 exceeds the teacher's depth (4 blocks of `tiny_28`); use at most 4"),
        Diagnostics("  sweep { variants [remem]; finetune.reweight.top [1, 9] }\n"));
}
