using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MiDistill.Recipes;
using MiDistill.Runtime.Tests.Reporting;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>A run with every MI analysis: its report embeds each analysis plot and states the findings; TensorBoard gets the MI per block.</summary>
public sealed class AnalysisReportTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-analysis-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void The_report_embeds_every_analysis_plot_and_the_one_line_findings()
    {
        var report = new AnalyzeTinyRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
        });
        var analysis = Path.Combine(report.RunFolder, "analysis");
        var html = File.ReadAllText(Path.Combine(report.RunFolder, "report.html"));

        // Each PNG of analysis/, byte for byte, as a data: URI.
        var pngs = Directory.GetFiles(analysis, "*.png");
        Assert.True(pngs.Length >= 4, $"only {pngs.Length} analysis plots");
        foreach (var png in pngs)
            Assert.Contains("data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(png)), html);
        // Every finding line of summary.md (e.g. "- sam: MI drops most at block 1 MLP ...") is a list item.
        var findings = File.ReadAllLines(Path.Combine(analysis, "summary.md")).Where(l => l.StartsWith("- ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, findings.Count);
        foreach (var line in findings)
            Assert.Contains("<li>" + System.Net.WebUtility.HtmlEncode(line[2..]) + "</li>", html);

        // MI per block in TensorBoard, step = block, equal (as float) to mi_per_block.csv.
        var csv = File.ReadAllLines(Path.Combine(analysis, "mi_per_block.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var events = Directory.GetFiles(Path.Combine(report.RunFolder, "tensorboard", "sam", "analysis"), "events.out.tfevents.*").SelectMany(TensorBoardEvents.Read).ToList();
        foreach (var row in csv.Where(r => r[0] == "sam"))
        {
            var tag = $"analysis/mi_{row[1]}_{row[3]}";
            var scalar = events.Where(e => e.Step == int.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture))
                .SelectMany(e => e.Scalars).Single(s => s.Tag == tag);
            Assert.Equal((float)double.Parse(row[4], System.Globalization.CultureInfo.InvariantCulture), scalar.Value, 1e-5f);
        }
        Assert.DoesNotMatch(new Regex("(src|href)=\"(https?:)?//"), html);
    }
}
