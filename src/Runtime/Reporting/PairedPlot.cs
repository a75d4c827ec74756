using System.Collections.Generic;
using System.Linq;
using ScottPlot;

namespace MiDistill.Runtime.Reporting;

/// <summary>
/// The paired differences of the students as a forest plot (results-paired.png): one row per variant
/// and student metric, the mean difference to the reference in points with its 95% interval, and a
/// line at 0. An interval that crosses the line is not distinguishable from seed noise.
/// </summary>
public static class PairedPlot
{
    public const string FileName = "results-paired.png";

    public static void Write(string path, string reference, IReadOnlyList<PairedDifference> differences)
    {
        var rows = differences.Where(d => d.Metric.StartsWith("student ", System.StringComparison.Ordinal) && d.Seeds >= 2).ToList();
        if (rows.Count == 0) return;
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var metrics = rows.Select(r => r.Metric).Distinct().ToList();
        // Top row first, as the result table reads.
        for (int i = 0; i < rows.Count; i++)
        {
            double y = rows.Count - 1 - i;
            var colour = palette.GetColor(metrics.IndexOf(rows[i].Metric));
            var interval = plot.Add.Line(100 * rows[i].Low, y, 100 * rows[i].High, y);
            interval.LineWidth = 2;
            interval.Color = colour;
            plot.Add.Marker(100 * rows[i].Mean, y, rows[i].Distinguishable ? MarkerShape.FilledCircle : MarkerShape.OpenCircle, 10, colour);
        }
        var zero = plot.Add.VerticalLine(0);
        zero.Color = Colors.Gray;
        zero.LinePattern = LinePattern.Dashed;
        plot.Axes.Left.SetTicks(
            Enumerable.Range(0, rows.Count).Select(i => (double)(rows.Count - 1 - i)).ToArray(),
            rows.Select(r => $"{r.Variant} ({r.Metric.Substring("student ".Length)})").ToArray());
        plot.Title($"Students against `{reference}`: mean paired difference and 95% interval\n(filled: interval excludes 0; {rows.Max(r => r.Seeds)} seeds)");
        plot.XLabel("difference in points (variant - reference)");
        plot.SavePng(path, 800, 120 + 36 * rows.Count);
    }
}
