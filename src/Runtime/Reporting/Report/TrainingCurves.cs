using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.RunFolders;
using ScottPlot;

namespace MiDistill.Runtime.Reporting.Report;

/// <summary>
/// Training curves from metrics lines as PNGs (ScottPlot, as the analysis plots): for one stage, one
/// metric against the epoch, one line per series (a variant and seed of a run).
/// </summary>
public static class TrainingCurves
{
    public const int Width = 640, Height = 400;

    /// <summary>A series: its legend text and its (epoch, value) points.</summary>
    public sealed record Series(string Label, IReadOnlyList<(int Epoch, double Value)> Points);

    /// <summary>The series of <paramref name="metric"/> in <paramref name="stage"/>, one per (variant, seed), in the order they ran.</summary>
    public static IReadOnlyList<Series> Of(IEnumerable<MetricsRecord> records, string stage, string metric, string labelPrefix = "") =>
        records.Where(r => r.Stage == stage && r.Values.ContainsKey(metric))
            .GroupBy(r => (r.Variant, r.Seed))
            .Select(g => new Series($"{labelPrefix}{g.Key.Variant} seed {g.Key.Seed}", g.Select(r => (r.Epoch, r.Values[metric])).ToList()))
            .ToList();

    public static byte[] Png(string title, string yLabel, IReadOnlyList<Series> series, bool percent = false)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var s in series)
        {
            var finite = s.Points.Where(p => double.IsFinite(p.Value)).ToList();
            if (finite.Count == 0) continue;
            var line = plot.Add.Scatter(finite.Select(p => (double)p.Epoch).ToArray(), finite.Select(p => percent ? 100 * p.Value : p.Value).ToArray(), palette.GetColor(colour++));
            line.LegendText = s.Label;
            line.MarkerSize = 6;
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(percent ? yLabel + " [%]" : yLabel);
        // Epochs are whole numbers: no 1.5 ticks.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        // Below the axes, so no legend hides the curves.
        plot.ShowLegend(Edge.Bottom);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
