using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;

namespace MiDistill.Runtime.Training;

/// <summary>The final table: one row per variant, mean and standard deviation over seeds, and how it was selected.</summary>
internal static class ResultReport
{
    /// <param name="withoutValidation">True when the runs had no validation split, so the last epochs were kept rather than chosen.</param>
    public static string Write(string folder, string recipe, EvaluateOptions evaluate, IReadOnlyList<VariantResult> results, bool withoutValidation = false)
    {
        // The pretrained teacher's own scores appear when a run measured them (upstream classes = downstream classes).
        var models = results.Any(r => r.Pretrained is not null) ? new[] { "pretrained", "teacher", "student" } : new[] { "teacher", "student" };
        var metricColumns = models
            .SelectMany(model => evaluate.Metrics.Select(m => model + " " + Evaluator.ColumnSuffix(m)))
            .ToList();
        var groups = results.GroupBy(r => r.Variant).ToList();
        bool replicated = groups.Any(g => g.Count() > 1);
        var columns = new List<string>(metricColumns);
        var percent = new List<string>(metricColumns);
        if (replicated)
        {
            columns.AddRange(metricColumns.Select(c => c + " sd"));
            percent.AddRange(metricColumns.Select(c => c + " sd"));
            columns.Add("seeds");
        }
        if (evaluate.Protocol is PaperProtocol) columns.Add("teacher epoch");
        // Pretraining happens once and is cached: its time is apart from the variant's own training.
        columns.Add("pretrain (s)");
        columns.Add("train (s)");

        var table = new ResultsTable(columns, percent);
        foreach (var group in groups)
        {
            var rows = group.Select(Experiment.Prefixed).ToList();
            var values = new Dictionary<string, double>();
            foreach (var column in metricColumns)
            {
                // A labels-only variant has no teacher: its teacher cells stay empty.
                var samples = rows.Where(r => r.ContainsKey(column)).Select(r => r[column]).ToList();
                if (samples.Count == 0) continue;
                values[column] = samples.Average();
                if (replicated) values[column + " sd"] = StandardDeviation(samples);
            }
            if (replicated) values["seeds"] = rows.Count;
            if (evaluate.Protocol is PaperProtocol && group.Count() == 1 && group.First().TeacherEpoch is int epoch) values["teacher epoch"] = epoch;
            values["pretrain (s)"] = Math.Round(group.Sum(r => r.PretrainSeconds), 1);
            values["train (s)"] = Math.Round(group.Sum(r => r.Seconds - r.PretrainSeconds), 1);
            table.AddRow(group.Key, values);
        }

        var protocol = evaluate.Protocol switch
        {
            PaperProtocol p => $"paper protocol: a student distilled from the teacher after each of epochs {string.Join(", ", p.Checkpoints)}; the best on the test split is reported (optimistic)",
            _ when withoutValidation => "honest protocol without a validation split: the last teacher and student epochs are kept; the test split evaluated once",
            _ => "honest protocol: teacher and student epochs chosen on the validation split; the test split evaluated once",
        };
        var spread = replicated ? "; mean and sample standard deviation (sd) over seeds" : "";
        var text = new StringBuilder()
            .Append("Results of `").Append(recipe).Append("` on the test split (").Append(protocol).Append(spread).Append("):\n")
            .Append(table.ToMarkdown())
            .ToString();
        // With seeds, every variant against the first (the reference) over the seeds both ran.
        // The recipe's reference when it ran (a --variant subset may leave it out), else the first variant.
        var reference = groups.FirstOrDefault(g => g.Key == evaluate.Reference) ?? groups[0];
        var paired = groups.Count > 1 && replicated ? Paired(reference, groups, metricColumns.Where(c => !c.StartsWith("pretrained ", StringComparison.Ordinal)).ToList()) : null;
        if (paired is not null)
        {
            text += "\n" + PairedDifference.ToMarkdown(reference.Key, paired);
            File.WriteAllText(Path.Combine(folder, PairedCsvFileName), PairedDifference.ToCsv(reference.Key, paired));
            PairedPlot.Write(Path.Combine(folder, PairedPlot.FileName), reference.Key, paired);
        }
        File.WriteAllText(Path.Combine(folder, ResultsTable.MarkdownFileName), text);
        File.WriteAllText(Path.Combine(folder, ResultsTable.CsvFileName), table.ToCsv());
        return text;
    }

    public const string PairedCsvFileName = "results-paired.csv";

    private static List<PairedDifference> Paired(IGrouping<string, VariantResult> reference, List<IGrouping<string, VariantResult>> groups, IReadOnlyList<string> metricColumns)
    {
        Dictionary<int, double> BySeed(IGrouping<string, VariantResult> group, string column) =>
            group.GroupBy(r => r.Seed).Select(g => (g.Key, Values: Experiment.Prefixed(g.First())))
                .Where(x => x.Values.ContainsKey(column)).ToDictionary(x => x.Key, x => x.Values[column]);
        var rows = new List<PairedDifference>();
        foreach (var group in groups.Where(g => g != reference))
            foreach (var column in metricColumns)
            {
                // Only metrics both variants have (a labels-only variant has no teacher columns).
                var paired = PairedDifference.Of(group.Key, column, BySeed(group, column), BySeed(reference, column));
                if (paired.Seeds > 0) rows.Add(paired);
            }
        return rows;
    }

    /// <summary>Sample standard deviation (n - 1); 0 for a single sample.</summary>
    internal static double StandardDeviation(IReadOnlyList<double> samples)
    {
        if (samples.Count < 2) return 0;
        double mean = samples.Average();
        return Math.Sqrt(samples.Sum(x => (x - mean) * (x - mean)) / (samples.Count - 1));
    }
}
