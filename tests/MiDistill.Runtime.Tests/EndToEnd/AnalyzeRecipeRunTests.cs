using System;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>Runs EndToEnd/analyze.distill: every analysis writes its CSV and PNG into the run folder.</summary>
public sealed class AnalyzeRecipeRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-analyze-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Analyze_recipe_writes_every_analysis_with_plots_and_names_the_largest_drop()
    {
        var output = new StringWriter();
        var report = new AnalyzeTinyRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = output,
        });
        var folder = Path.Combine(report.RunFolder, "analysis");
        foreach (var file in new[] { "mi_per_block.csv", "sparsity.csv", "bottleneck.csv", "information_plane.csv", "analysis.json", "summary.md",
                                     "mi_per_block_attn.png", "mi_per_block_mlp.png", "sparsity.png", "bottleneck_vanilla.png", "bottleneck_sam.png", "information_plane.png" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file + " is missing");
        foreach (var png in Directory.GetFiles(folder, "*.png"))
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png).Take(4));

        // 2 variants x 2 phases x 2 blocks x (attn, mlp), each with a cross-check value.
        var blocks = Rows(folder, "mi_per_block.csv");
        Assert.Equal(16, blocks.Length);
        Assert.All(blocks, row => Assert.True(double.Parse(row[4], CultureInfo.InvariantCulture) >= 0 && row[5].Length > 0));
        // k = 0..2 for MLP and attention removal, per variant; k = 0 is the same teacher both ways.
        var removal = Rows(folder, "bottleneck.csv");
        Assert.Equal(2 * 2 * 3, removal.Length);
        foreach (var variant in new[] { "vanilla", "sam" })
        {
            var k0 = removal.Where(r => r[0] == variant && r[2] == "0").ToArray();
            Assert.Equal(k0[0][3], k0[1][3]);
        }
        var plane = Rows(folder, "information_plane.csv");
        Assert.Equal(new[] { "vanilla", "sam" }, plane.Select(r => r[0]));
        // The plane's test error is the teacher's test error of the result table.
        foreach (var result in report.Results)
            Assert.Equal(1 - result.Teacher["acc"], double.Parse(plane.Single(r => r[0] == result.Variant && r[1] == result.Seed.ToString(CultureInfo.InvariantCulture))[5], CultureInfo.InvariantCulture), 5);

        // Each teacher's MI beside the test accuracy of the student distilled from it, as the result table has it.
        var students = Rows(folder, "mi_student.csv");
        Assert.Equal(2, students.Length);
        foreach (var result in report.Results)
        {
            var row = students.Single(r => r[0] == result.Variant);
            Assert.Equal(plane.Single(p => p[0] == result.Variant)[3], row[2]);
            Assert.Equal("acc", row[3]);
            Assert.Equal(result.Student["acc"], double.Parse(row[4], CultureInfo.InvariantCulture), 5);
        }
        Assert.True(File.Exists(Path.Combine(folder, "mi_student.png")));

        var text = output.ToString();
        Assert.Contains("Analysis (estimator renyi(alpha: 1.01, kernel: median(scale: 1)), cross-check ksg(k: 5, dims: 4)", text);
        Assert.Matches(@"- sam: MI (drops most at block \d (attention|MLP)|never drops)", text);
    }

    private static string[][] Rows(string folder, string file) =>
        File.ReadAllLines(Path.Combine(folder, file)).Skip(1).Select(l => l.Split(',')).ToArray();

    [Fact]
    public void Resuming_a_finished_run_measures_the_same_analyses_again()
    {
        var report = new AnalyzeTinyRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
        });
        var folder = Path.Combine(report.RunFolder, "analysis");
        var before = new[] { "mi_per_block.csv", "bottleneck.csv", "information_plane.csv" }.Select(f => File.ReadAllText(Path.Combine(folder, f))).ToArray();

        // Every replicate is finished: nothing trains again, and analysis/ still covers every variant.
        var log = new StringWriter();
        new AnalyzeTinyRecipe().Resume(report.RunFolder, new RunRequest { Output = log });
        Assert.DoesNotContain("[finetune/", log.ToString());
        var after = new[] { "mi_per_block.csv", "bottleneck.csv", "information_plane.csv" }.Select(f => File.ReadAllText(Path.Combine(folder, f))).ToArray();
        Assert.Equal(before, after);
    }

}
