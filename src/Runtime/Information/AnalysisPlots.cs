using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace MiDistill.Runtime.Information;

/// <summary>The PNG plots of the analyses (ScottPlot, rendered by SkiaSharp without a display).</summary>
public static class AnalysisPlots
{
    private const int Width = 800, Height = 500;

    public static IReadOnlyList<string> WriteAll(AnalysisResults r, string folder)
    {
        var written = new List<string>();
        void Save(Plot plot, string name)
        {
            var path = Path.Combine(folder, name);
            plot.SavePng(path, Width, Height);
            written.Add(path);
        }
        foreach (var sub in new[] { "attn", "mlp" })
            if (r.Blocks.Any(b => b.SubBlock == sub))
                Save(BlockPlot(r, sub), $"mi_per_block_{sub}.png");
        if (r.Sparsity.Count > 0) Save(SparsityPlot(r), "sparsity.png");
        foreach (var variant in r.Removal.Select(p => p.Variant).Distinct())
            Save(RemovalPlot(r, variant), $"bottleneck_{variant}.png");
        if (r.Plane.Count > 0) Save(PlanePlot(r), "information_plane.png");
        if (r.Students.Count > 0) Save(StudentPlot(r), "mi_student.png");
        return written;
    }

    private static Plot BlockPlot(AnalysisResults r, string sub)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var variant in r.Blocks.Select(b => b.Variant).Distinct())
        {
            var color = palette.GetColor(colour++);
            foreach (var phase in new[] { AnalysisPhase.Pretrained, AnalysisPhase.Finetuned })
            {
                var points = r.Blocks.Where(b => b.Variant == variant && b.Phase == phase && b.SubBlock == sub).OrderBy(b => b.Block).ToList();
                if (points.Count == 0) continue;
                var line = plot.Add.Scatter(points.Select(p => (double)p.Block).ToArray(), points.Select(p => p.Bits).ToArray(), color);
                line.LegendText = $"{variant} ({phase})";
                line.LinePattern = phase == AnalysisPhase.Pretrained ? LinePattern.Dashed : LinePattern.Solid;
            }
        }
        plot.Title($"I(X; H) after each {(sub == "attn" ? "attention" : "MLP")} sub-block\n{r.Estimator}");
        plot.XLabel("block (0 = bottom)");
        plot.YLabel("I(X; H) [bits]");
        IntegerTicks(plot);
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    private static Plot SparsityPlot(AnalysisResults r)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var variant in r.Sparsity.Select(s => s.Variant).Distinct())
        {
            var color = palette.GetColor(colour++);
            foreach (var phase in new[] { AnalysisPhase.Pretrained, AnalysisPhase.Finetuned })
            {
                var points = r.Sparsity.Where(s => s.Variant == variant && s.Phase == phase).OrderBy(s => s.Block).ToList();
                if (points.Count == 0) continue;
                var line = plot.Add.Scatter(points.Select(p => (double)p.Block).ToArray(), points.Select(p => p.ActiveFraction).ToArray(), color);
                line.LegendText = $"{variant} ({phase})";
                line.LinePattern = phase == AnalysisPhase.Pretrained ? LinePattern.Dashed : LinePattern.Solid;
            }
        }
        plot.Title("MLP activation: fraction of hidden units with GELU input > 0");
        plot.XLabel("block (0 = bottom)");
        plot.YLabel("active fraction");
        IntegerTicks(plot);
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    private static Plot RemovalPlot(AnalysisResults r, string variant)
    {
        var plot = new Plot();
        var mi = new ScottPlot.Palettes.Category10().GetColor(0);
        var acc = new ScottPlot.Palettes.Category10().GetColor(1);
        foreach (var removed in new[] { "mlp", "attn" })
        {
            var points = r.Removal.Where(p => p.Variant == variant && p.Removed == removed).OrderBy(p => p.K).ToList();
            var ks = points.Select(p => (double)p.K).ToArray();
            var pattern = removed == "mlp" ? LinePattern.Solid : LinePattern.Dashed;
            string name = removed == "mlp" ? "MLP" : "attention";
            var miLine = plot.Add.Scatter(ks, points.Select(p => p.Bits).ToArray(), mi);
            miLine.LegendText = $"I(X; F_T), top-k {name} removed";
            miLine.LinePattern = pattern;
            var accLine = plot.Add.Scatter(ks, points.Select(p => p.ProbeAccuracy).ToArray(), acc);
            accLine.LegendText = $"probe accuracy, top-k {name} removed";
            accLine.LinePattern = pattern;
            accLine.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title($"{variant}: top-k MLP (solid) vs attention (dashed) removed\n{r.Estimator}");
        plot.XLabel("k (sub-blocks removed from the top)");
        plot.Axes.Left.Label.Text = "I(X; F_T) [bits]";
        plot.Axes.Right.Label.Text = "probe accuracy";
        IntegerTicks(plot);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    private static Plot PlanePlot(AnalysisResults r)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var point in r.Plane)
        {
            plot.Add.Marker(point.Bits, point.TestError, MarkerShape.FilledCircle, 10, palette.GetColor(colour++));
            var label = plot.Add.Text(point.Variant, point.Bits, point.TestError);
            label.LabelFontSize = 14;
            label.OffsetX = 8;
        }
        plot.Title($"Information plane: teacher test error vs I(X; F_T)\n{r.Estimator}");
        plot.XLabel("I(X; F_T) [bits]");
        plot.YLabel("teacher test error");
        // Room around the points (and around a lone point), so labels stay inside the frame.
        double Pad(double span, double floor) => Math.Max(0.3 * span, floor);
        double x0 = r.Plane.Min(p => p.Bits), x1 = r.Plane.Max(p => p.Bits);
        double y0 = r.Plane.Min(p => p.TestError), y1 = r.Plane.Max(p => p.TestError);
        double px = Pad(x1 - x0, 0.05), py = Pad(y1 - y0, 0.02);
        plot.Axes.SetLimits(x0 - px, x1 + px, Math.Max(0, y0 - py), Math.Min(1, y1 + py));
        return plot;
    }

    /// <summary>Student test score against its teacher's I(X; F_T): one colour per variant, one point per seed.</summary>
    private static Plot StudentPlot(AnalysisResults r)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var group in r.Students.GroupBy(p => p.Variant))
        {
            var scatter = plot.Add.ScatterPoints(group.Select(p => p.Bits).ToArray(), group.Select(p => p.Student).ToArray(), palette.GetColor(colour++));
            scatter.MarkerSize = 9;
            scatter.LegendText = group.Key;
        }
        var c = MiStudentCorrelation.Of(r.Students);
        string R(double v) => double.IsNaN(v) ? "n/a" : v.ToString("+0.00;-0.00;0.00", System.Globalization.CultureInfo.InvariantCulture);
        plot.Title($"Student test {r.Students[0].Metric} vs its teacher's I(X; F_T)" + (c is null ? "" : $"\nPearson r {R(c.Pearson)}, within seeds {R(c.WithinSeedPearson)} ({c.Pairs} pairs)"));
        plot.XLabel("teacher I(X; F_T) [bits]");
        plot.YLabel($"student test {r.Students[0].Metric}");
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static void IntegerTicks(Plot plot) =>
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
}
