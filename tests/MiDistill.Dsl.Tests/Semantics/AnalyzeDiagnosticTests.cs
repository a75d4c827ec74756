using System.Linq;
using MiDistill.Dsl.Semantics;

using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Semantics;

/// <summary>One test per diagnostic of the `analyze` section (MD0120-MD0122, MD0210-MD0211), exact text.</summary>
public class AnalyzeDiagnosticTests
{
    private const string Teacher = "  teacher {\n    pretrain upstream(classes: 0..4)\n  }\n";
    private const string Data = "  data {\n    classes 5..9\n  }\n";

    private static string Recipe(string body) => "recipe r {\n" + body + "}\n";

    private static void AssertDiagnostics(string text, params string[] expected) =>
        Assert.Equal(expected, RecipeCompiler.Compile("r.distill", text, BuiltInSchema.Value).Diagnostics.Select(d => d.ToString()).ToArray());

    [Fact]
    public void Analyze_with_every_analysis_and_a_cross_check_has_no_diagnostics() => AssertDiagnostics(Recipe(Teacher + Data +
        "  analyze {\n    mi_per_block true\n    bottleneck true\n    sparsity true\n    information_plane true\n" +
        "    estimator renyi(alpha: 1.01, kernel: median(scale: 2))\n    cross_check ksg(k: 5, dims: 4)\n    probe 500\n    probe_split validation\n    token mean\n  }\n"));

    [Fact]
    public void MD0120_probe_larger_than_the_test_split() => AssertDiagnostics(
        Recipe(Teacher + Data + "  analyze {\n    mi_per_block true\n    probe 6000\n  }\n"),
        "r.distill(10,11): error MD0120: `analyze.probe` = 6000 exceeds the 5000 test images available (5 classes x 1000 Fashion-MNIST test images); use at most 5000, or raise `data.test_images`");

    [Fact]
    public void MD0120_probe_larger_than_the_test_cap() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    test_images 300\n  }\n" + "  analyze {\n    mi_per_block true\n    probe 500\n  }\n"),
        "r.distill(11,11): error MD0120: `analyze.probe` = 500 exceeds the 300 test images available (`data.test_images`); use at most 300, or raise `data.test_images`");

    [Fact]
    public void MD0121_renyi_alpha_of_one() => AssertDiagnostics(
        Recipe(Teacher + Data + "  analyze {\n    mi_per_block true\n    estimator renyi(alpha: 1)\n  }\n"),
        "r.distill(10,28): error MD0121: Renyi alpha = 1 is the Shannon limit, where S_alpha = log2(sum lambda^alpha) / (1 - alpha) divides by zero; use a nearby order such as 1.01");

    [Fact]
    public void MD0122_ksg_neighbours_not_below_the_probe_size() => AssertDiagnostics(
        Recipe(Teacher + Data + "  analyze {\n    mi_per_block true\n    cross_check ksg(k: 100)\n    probe 100\n  }\n"),
        "r.distill(10,24): error MD0122: `ksg` k = 100 needs more than 100 probe images, but `analyze.probe` = 100; lower k or raise the probe size");

    [Fact]
    public void MD0210_analysis_settings_without_an_analysis() => AssertDiagnostics(
        Recipe(Teacher + Data + "  analyze {\n    probe 300\n  }\n"),
        "r.distill(9,11): warning MD0210: `analyze` sets `probe` but turns no analysis on, so nothing is measured; add `mi_per_block true` (or `bottleneck`, `sparsity`, `information_plane`)");

    [Fact]
    public void MD0211_small_probe_set() => AssertDiagnostics(
        Recipe(Teacher + Data + "  analyze {\n    sparsity true\n    probe 50\n  }\n"),
        "r.distill(10,11): warning MD0211: `analyze.probe` = 50: MI estimates from fewer than 100 images vary strongly from draw to draw; use 100 or more (500 is the default)");

    [Fact]
    public void A_variant_can_turn_an_analysis_on() => AssertDiagnostics(
        Recipe(Teacher + Data + "  analyze {\n    probe 50\n  }\n  variants {\n    a { }\n    b { analyze.mi_per_block = true }\n  }\n"),
        "r.distill(9,11): warning MD0210: `analyze` sets `probe` but turns no analysis on, so nothing is measured; add `mi_per_block true` (or `bottleneck`, `sparsity`, `information_plane`)",
        "r.distill(9,11): warning MD0211: `analyze.probe` = 50: MI estimates from fewer than 100 images vary strongly from draw to draw; use 100 or more (500 is the default)");
}
