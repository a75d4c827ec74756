using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace MiDistill.Runtime.Tests.Regression;

/// <summary>
/// Compares a run's record files with the committed ones: bit for bit (the text of every file), or,
/// only when the record was made on another kind of CPU, within a stated cross-CPU tolerance.
/// </summary>
internal static class RecordComparison
{
    /// <summary>Cross-CPU only: continuous values (losses, learning rates, MI in bits, ...) may differ by this much, relative.</summary>
    public const double RelativeTolerance = 1e-4;

    /// <summary>Cross-CPU only: accuracies may differ by one image, 1/N, when both are fractions k/N with N at most this.</summary>
    public const int LargestImageCount = 10_000;

    /// <summary>Cross-CPU only: statistics of accuracies that are no fraction k/N (a standard deviation, a mean of unequal classes) may differ by this much, absolute.</summary>
    public const double DerivedAccuracyTolerance = 0.01;

    /// <summary>Cross-CPU only: the paired table's statistics, which follow from the per-seed accuracies of metrics.jsonl, are not compared.</summary>
    private static readonly HashSet<string> PairedStatistics = new(StringComparer.Ordinal) { "mean", "sd", "low", "high", "wins", "distinguishable" };

    public static string Tolerance =>
        $"continuous values within {RelativeTolerance:0e0} relative; accuracies within one image (1/N when both values are fractions k/N, N <= {LargestImageCount:N0}), " +
        $"other statistics of accuracies (sd, balanced accuracy of unequal classes) within {DerivedAccuracyTolerance} absolute; " +
        "results-paired.csv's statistics (mean, sd, interval, wins) not compared, since they follow from the accuracies; every name, count and text field exact";

    /// <summary>Null when every file equals the record byte for byte; else where and how the first difference is.</summary>
    public static string? FirstDifference(IReadOnlyDictionary<string, string> record, IReadOnlyDictionary<string, string> run)
    {
        if (SameFiles(record, run) is string files) return files;
        foreach (var (file, text) in record)
        {
            if (text == run[file]) continue;
            var a = RecordFiles.Lines(text);
            var b = RecordFiles.Lines(run[file]);
            for (int i = 0; i < Math.Max(a.Count, b.Count); i++)
            {
                if (i >= a.Count) return $"{file}: this run has more lines than the record's {a.Count}; line {i + 1}: {b[i]}";
                if (i >= b.Count) return $"{file}: this run ends after {b.Count} lines; the record's line {i + 1}: {a[i]}";
                if (a[i] == b[i]) continue;
                return $"{file} line {i + 1}{Context(file, a, i)}: {FieldDifference(file, a, b, i)}\n  record:   {a[i]}\n  this run: {b[i]}";
            }
            return $"{file}: the files differ outside their lines (line ends?)";
        }
        return null;
    }

    /// <summary>The cross-CPU comparison: null failure when every value is within <see cref="Tolerance"/>.</summary>
    public static (string? Failure, int Inexact, string Largest) WithinCrossCpuTolerance(IReadOnlyDictionary<string, string> record, IReadOnlyDictionary<string, string> run)
    {
        if (SameFiles(record, run) is string files) return (files, 0, "");
        int inexact = 0;
        double largest = 0;
        string largestAt = "none";
        foreach (var (file, text) in record)
        {
            var a = RecordFiles.Lines(text);
            var b = RecordFiles.Lines(run[file]);
            if (a.Count != b.Count) return ($"{file}: {a.Count} lines in the record, {b.Count} in this run", inexact, largestAt);
            for (int i = 0; i < a.Count; i++)
            {
                if (a[i] == b[i]) continue;
                var fa = Fields(file, a, i);
                var fb = Fields(file, b, i);
                string Where(string field) => $"{file} line {i + 1}{Context(file, a, i)}, field `{field}`";
                if (!fa.Select(f => f.Name).SequenceEqual(fb.Select(f => f.Name)))
                    return ($"{file} line {i + 1}{Context(file, a, i)}: {FieldDifference(file, a, b, i)}", inexact, largestAt);
                for (int k = 0; k < fa.Count; k++)
                {
                    var (name, x) = fa[k];
                    var y = fb[k].Value;
                    if (x == y) continue;
                    if (file == "results-paired.csv" && PairedStatistics.Contains(name)) continue;
                    if (!Number(x, out var u) || !Number(y, out var v))
                        return ($"{Where(name)}: {x} in the record, {y} in this run (not numbers: must be equal)", inexact, largestAt);
                    inexact++;
                    double difference = Math.Abs(u - v), scale = Math.Max(Math.Abs(u), Math.Abs(v));
                    double allowed;
                    string rule;
                    if (IsAccuracy(file, name))
                    {
                        int? images = CommonDenominator(u, v);
                        allowed = images is int n ? 1.0 / n + 1e-12 : DerivedAccuracyTolerance;
                        rule = images is int m ? $"one image of {m}" : $"{DerivedAccuracyTolerance} absolute for a statistic of accuracies";
                    }
                    else
                    {
                        allowed = RelativeTolerance * scale;
                        rule = $"{RelativeTolerance:0e0} relative";
                    }
                    if (difference > allowed)
                        return ($"{Where(name)}: {x} in the record, {y} in this run; differs by {difference:G3} ({difference / scale:G3} relative), more than {rule}", inexact, largestAt);
                    if (difference / scale > largest) (largest, largestAt) = (difference / scale, $"{Where(name)}: {x} -> {y} ({difference / scale:G3} relative)");
                }
            }
        }
        return (null, inexact, largestAt);
    }

    private static string? SameFiles(IReadOnlyDictionary<string, string> record, IReadOnlyDictionary<string, string> run)
    {
        var missing = record.Keys.Except(run.Keys).ToList();
        var extra = run.Keys.Except(record.Keys).ToList();
        if (missing.Count == 0 && extra.Count == 0) return null;
        return "the record's files and this run's differ: " +
            (missing.Count > 0 ? $"only in the record: {string.Join(", ", missing)}" : "") +
            (missing.Count > 0 && extra.Count > 0 ? "; " : "") +
            (extra.Count > 0 ? $"only in this run: {string.Join(", ", extra)}" : "");
    }

    private static string FieldDifference(string file, IReadOnlyList<string> a, IReadOnlyList<string> b, int i)
    {
        List<(string Name, string Value)> fa, fb;
        try
        {
            fa = Fields(file, a, i);
            fb = Fields(file, b, i);
        }
        catch (JsonException e)
        {
            return "the lines differ (one is no JSON object: " + e.Message + ")";
        }
        if (!fa.Select(f => f.Name).SequenceEqual(fb.Select(f => f.Name)))
            return $"the fields differ: [{string.Join(", ", fa.Select(f => f.Name))}] in the record, [{string.Join(", ", fb.Select(f => f.Name))}] in this run";
        int k = Enumerable.Range(0, fa.Count).Where(k => fa[k].Value != fb[k].Value).DefaultIfEmpty(-1).First();
        return k < 0 ? "the lines differ in their text, not in a field's value" : $"field `{fa[k].Name}` is {fa[k].Value} in the record and {fb[k].Value} in this run";
    }

    /// <summary>The (name, exact text) fields of line i: JSON properties, or CSV cells named by the header (the header's own cells by position).</summary>
    private static List<(string Name, string Value)> Fields(string file, IReadOnlyList<string> lines, int i)
    {
        if (file.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            using var document = JsonDocument.Parse(lines[i]);
            return document.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetRawText())).ToList();
        }
        // CSV written by MiDistill without quoted fields; a quoted line is compared as one field.
        if (lines[i].Contains('"') || lines[0].Contains('"')) return new() { ("line", lines[i]) };
        var cells = lines[i].Split(',');
        if (i == 0) return cells.Select((c, k) => ($"column {k + 1}", c)).ToList();
        var header = lines[0].Split(',');
        return cells.Select((c, k) => (k < header.Length ? header[k] : $"column {k + 1}", c)).ToList();
    }

    private static string Context(string file, IReadOnlyList<string> lines, int i)
    {
        try
        {
            if (file.EndsWith(".jsonl", StringComparison.Ordinal))
            {
                using var document = JsonDocument.Parse(lines[i]);
                var root = document.RootElement;
                return $" ({string.Join(", ", new[] { "stage", "variant", "seed", "epoch" }.Where(n => root.TryGetProperty(n, out _)).Select(n => $"{n} {root.GetProperty(n)}"))})";
            }
            return i == 0 ? " (header)" : $" (row `{lines[i].Split(',')[0]}`)";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static bool Number(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>Accuracies and error rates (and statistics of them): a last-bit difference in training can move one image across the decision boundary.</summary>
    private static bool IsAccuracy(string file, string name) =>
        name.Contains("acc", StringComparison.Ordinal) || name.Contains("error", StringComparison.Ordinal) ||
        (file == "analysis/mi_student.csv" && name == "student");

    /// <summary>The smallest N (at most <see cref="LargestImageCount"/>) for which both values are fractions k/N; null if none.</summary>
    internal static int? CommonDenominator(double a, double b)
    {
        static bool Whole(double x, int n) => Math.Abs(x * n - Math.Round(x * n)) < 1e-6;
        for (int n = 1; n <= LargestImageCount; n++)
            if (Whole(a, n) && Whole(b, n)) return n;
        return null;
    }
}
