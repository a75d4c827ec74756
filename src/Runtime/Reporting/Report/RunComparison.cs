using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace MiDistill.Runtime.Reporting.Report;

/// <summary>
/// <c>compare</c>: several run folders side by side. Variants are matched by name; each run is a
/// letter (A, B, ...). One table of the results, the settings that differ between the runs for each
/// variant they share, and a combined page (curves of every run in one plot per stage).
/// </summary>
public sealed class RunComparison
{
    private readonly IReadOnlyList<RunFiles> _runs;
    private readonly IReadOnlyList<string> _labels;

    public RunComparison(IReadOnlyList<string> folders)
    {
        if (folders.Count < 2) throw new ArgumentException("`compare` needs at least two run folders");
        _runs = folders.Select(RunFiles.Read).ToList();
        _labels = _runs.Select((_, i) => i < 26 ? ((char)('A' + i)).ToString() : "R" + (i + 1).ToString(CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>The result columns compared: the test metrics (fractions, shown as percentages), without their sd, seed count or timings.</summary>
    public IReadOnlyList<string> MetricColumns => _runs.Where(r => r.Results is not null).SelectMany(r => r.Results!.Columns)
        .Where(c => !c.EndsWith(" sd", StringComparison.Ordinal) && !c.EndsWith("(s)", StringComparison.Ordinal) && c is not ("seeds" or "teacher epoch"))
        .Distinct(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> VariantNames => _runs.Where(r => r.Results is not null).SelectMany(r => r.Results!.Rows.Select(x => x.Variant)).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The results table: one row per variant, for each metric one cell per run (mean, ± sd over seeds when there are several).</summary>
    public (IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) ResultsTable()
    {
        var header = new List<string> { "variant" };
        foreach (var metric in MetricColumns) header.AddRange(_labels.Select(l => $"{metric} ({l})"));
        var rows = new List<IReadOnlyList<string>>();
        foreach (var variant in VariantNames)
        {
            var row = new List<string> { variant };
            foreach (var metric in MetricColumns)
                foreach (var run in _runs)
                {
                    var values = run.Results?.Rows.FirstOrDefault(r => r.Variant == variant).Values;
                    row.Add(values is not null && values.TryGetValue(metric, out var mean) ? Percent(mean) + (values.TryGetValue(metric + " sd", out var sd) ? " ± " + Percent(sd) : "") : "—");
                }
            rows.Add(row);
        }
        return (header, rows);
    }

    /// <summary>For each variant in two runs or more: the settings whose values differ between those runs ("—" = the run lacks the variant or the setting).</summary>
    public (IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) SettingsTable()
    {
        var perRun = _runs.Select(r => RunReport.Variants(r).ToDictionary(v => v.GetProperty("variant").GetString() ?? "?", SettingsFlattener.Flatten)).ToList();
        var header = new List<string> { "variant", "setting" };
        header.AddRange(_labels);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var variant in perRun.SelectMany(r => r.Keys).Distinct(StringComparer.Ordinal))
        {
            var present = perRun.Where(r => r.ContainsKey(variant)).Select(r => r[variant]).ToList();
            if (present.Count < 2) continue;
            foreach (var path in SettingsFlattener.Differing(present))
            {
                var row = new List<string> { variant, path };
                row.AddRange(perRun.Select(r => r.TryGetValue(variant, out var s) && s.TryGetValue(path, out var v) ? v : "—"));
                rows.Add(row);
            }
        }
        return (header, rows);
    }

    /// <summary>The console text: which run is which, the results side by side, and the differing settings.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _runs.Count; i++) text.Append(_labels[i]).Append(": ").Append(_runs[i].Path).Append(_runs[i].Results is null ? " (no results yet)" : "").Append('\n');
        var (header, rows) = ResultsTable();
        text.Append("\nResults on the test split (variants matched by name):\n").Append(Markdown(header, rows));
        var (settingsHeader, settingsRows) = SettingsTable();
        text.Append('\n').Append(settingsRows.Count == 0 ? "The runs' shared variants have the same settings.\n" : "Settings that differ between the runs:\n" + Markdown(settingsHeader, settingsRows));
        if (_runs.Select(r => r.RecipeText).Distinct().Count() > 1) text.Append("The runs' recipe texts (recipe.distill) differ.\n");
        return text.ToString();
    }

    /// <summary>The combined page: runs, results, settings, curves of every run per stage, and each run's timings.</summary>
    public void WriteHtml(string path)
    {
        var page = new HtmlPage("MiDistill comparison of " + string.Join(", ", _runs.Select(r => r.Name)));
        page.Heading("MiDistill: comparison of " + _runs.Count.ToString(CultureInfo.InvariantCulture) + " runs", 1);
        page.Table(new[] { "run", "folder", "started", "host" }, _runs.Select((r, i) => (IReadOnlyList<string>)new[] { _labels[i], r.Path, r.Environment?.Started ?? "", r.Environment?.Host ?? "" }));
        page.Heading("Results");
        var (header, rows) = ResultsTable();
        page.Raw("<div id=\"results\">\n");
        page.Table(header, rows, new HashSet<int>(Enumerable.Range(1, header.Count - 1)));
        page.Raw("</div>\n");
        page.Heading("Settings that differ between the runs");
        var (settingsHeader, settingsRows) = SettingsTable();
        if (settingsRows.Count == 0) page.Paragraph("The runs' shared variants have the same settings.", "muted");
        else page.Table(settingsHeader, settingsRows);
        if (_runs.Select(r => r.RecipeText).Distinct().Count() > 1) page.Paragraph("The runs' recipe texts (recipe.distill) differ.");
        RunReport.Curves(page, _runs.SelectMany((r, i) => r.Metrics.Select(m => m with { Variant = $"{_labels[i]}: {m.Variant}" })).ToList(), "");
        for (int i = 0; i < _runs.Count; i++)
        {
            page.Heading($"Run {_labels[i]}: {_runs[i].Name}");
            RunReport.Timings(page, _runs[i].Metrics);
        }
        page.Save(path);
    }

    private static string Percent(double value) => (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Markdown(IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var widths = header.Select((h, i) => Math.Max(3, rows.Select(r => r[i].Length).Append(h.Length).Max())).ToArray();
        var text = new StringBuilder();
        void Row(IReadOnlyList<string> cells) => text.Append("| ").Append(string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i])))).Append(" |\n");
        Row(header);
        text.Append('|').Append(string.Join("|", widths.Select(w => new string('-', w + 2)))).Append("|\n");
        foreach (var row in rows) Row(row);
        return text.ToString();
    }
}
