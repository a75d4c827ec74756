using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiDistill.Runtime.Information;

/// <summary>The analysis files: one CSV per analysis, analysis.json with everything, summary.md.</summary>
public static class AnalysisReport
{
    public const string FolderName = "analysis";

    // The settings.json conventions (indented, camelCase members, enums by name, NaN as a name), for
    // files people read beside it; analysis records hold no abstract record that needs a "kind".
    private static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            NewLine = "\n",
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string Folder(string runFolder)
    {
        var path = Path.Combine(runFolder, FolderName);
        Directory.CreateDirectory(path);
        return path;
    }

    public static void WriteData(AnalysisResults r, string folder)
    {
        string N(double? v) => v is null || double.IsNaN(v.Value) ? "" : v.Value.ToString("0.######", CultureInfo.InvariantCulture);
        if (r.Blocks.Count > 0)
            Csv(folder, "mi_per_block.csv", "variant,phase,block,sub_block,mi_bits,cross_check_bits",
                r.Blocks.Select(b => $"{b.Variant},{b.Phase},{b.Block},{b.SubBlock},{N(b.Bits)},{N(b.CrossCheckBits)}"));
        if (r.Sparsity.Count > 0)
            Csv(folder, "sparsity.csv", "variant,phase,block,active_fraction",
                r.Sparsity.Select(s => $"{s.Variant},{s.Phase},{s.Block},{N(s.ActiveFraction)}"));
        if (r.Removal.Count > 0)
            Csv(folder, "bottleneck.csv", "variant,removed,k,mi_bits,cross_check_bits,probe_accuracy",
                r.Removal.Select(p => $"{p.Variant},{p.Removed},{p.K},{N(p.Bits)},{N(p.CrossCheckBits)},{N(p.ProbeAccuracy)}"));
        if (r.Students.Count > 0)
            Csv(folder, "mi_student.csv", "variant,seed,mi_bits,metric,student",
                r.Students.Select(p => $"{p.Variant},{p.Seed},{N(p.Bits)},{p.Metric},{N(p.Student)}"));
        if (r.Plane.Count > 0)
            Csv(folder, "information_plane.csv", "variant,seed,checkpoint,mi_bits,cross_check_bits,test_error",
                r.Plane.Select(p => $"{p.Variant},{p.Seed},{p.Checkpoint},{N(p.Bits)},{N(p.CrossCheckBits)},{N(p.TestError)}"));
        WriteAtomically(Path.Combine(folder, "analysis.json"), JsonSerializer.Serialize(new
        {
            estimator = r.Estimator,
            cross_check = r.CrossCheck,
            mi_per_block = r.Blocks,
            sparsity = r.Sparsity,
            bottleneck = r.Removal,
            information_plane = r.Plane,
            mi_student = r.Students,
            largest_drop = r.Blocks.Select(b => b.Variant).Distinct().Select(v => LargestDrop(r, v)).Where(d => d is not null).ToList(),
        }, Json));
    }

    /// <summary>The fine-tuned teacher's sub-block with the largest fall of I(X; H) from the sub-block before it.</summary>
    public sealed record Drop(string Variant, int Block, string SubBlock, double FromBits, double ToBits);

    public static Drop? LargestDrop(AnalysisResults r, string variant)
    {
        var path = r.Blocks.Where(b => b.Variant == variant && b.Phase == AnalysisPhase.Finetuned)
            .OrderBy(b => b.Block).ThenBy(b => b.SubBlock == "attn" ? 0 : 1).ToList();
        Drop? best = null;
        for (int i = 1; i < path.Count; i++)
        {
            double fall = path[i - 1].Bits - path[i].Bits;
            if (best is null || fall > best.FromBits - best.ToBits)
                best = new Drop(variant, path[i].Block, path[i].SubBlock, path[i - 1].Bits, path[i].Bits);
        }
        return best;
    }

    public static string Summary(AnalysisResults r)
    {
        string B(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        var md = new StringBuilder();
        md.Append("Analysis (estimator ").Append(r.Estimator);
        if (r.CrossCheck is not null) md.Append(", cross-check ").Append(r.CrossCheck);
        md.Append("; MI in bits, comparable only within this estimator):\n");
        var variants = r.Blocks.Select(b => b.Variant).Concat(r.Plane.Select(p => p.Variant)).Concat(r.Removal.Select(p => p.Variant))
            .Concat(r.Sparsity.Select(s => s.Variant)).Distinct().ToList();
        foreach (var v in variants)
        {
            var parts = new List<string>();
            if (LargestDrop(r, v) is { } d)
                parts.Add(d.ToBits < d.FromBits
                    ? $"MI drops most at block {d.Block} {(d.SubBlock == "attn" ? "attention" : "MLP")} ({B(d.FromBits)} -> {B(d.ToBits)} bits)"
                    : "MI never drops from one sub-block to the next");
            var plane = r.Plane.Where(p => p.Variant == v && p.Checkpoint == "best-validation").ToList();
            if (plane.Count > 0)
                parts.Add($"I(X; F_T) = {B(plane.Average(p => p.Bits))} bits at test error {(100 * plane.Average(p => p.TestError)).ToString("0.0", CultureInfo.InvariantCulture)}%"
                    + (plane.Count > 1 ? $" (means over {plane.Count} seeds)" : ""));
            var removal = r.Removal.Where(p => p.Variant == v).ToList();
            if (removal.Count > 0)
            {
                var baseline = removal.First(p => p.K == 0);
                var mlpPeak = removal.Where(p => p.Removed == "mlp").OrderByDescending(p => p.Bits).First();
                parts.Add(mlpPeak.K > 0 && mlpPeak.Bits > baseline.Bits
                    ? $"removing the top {mlpPeak.K} MLP sub-block(s) raises I(X; F_T) to {B(mlpPeak.Bits)} bits (probe accuracy {(100 * mlpPeak.ProbeAccuracy).ToString("0.0", CultureInfo.InvariantCulture)}%)"
                    : "removing top MLP sub-blocks never raises I(X; F_T)");
            }
            var sparsity = r.Sparsity.Where(s => s.Variant == v && s.Phase == AnalysisPhase.Finetuned).ToList();
            if (sparsity.Count > 0)
                parts.Add("MLP units active " + string.Join(" / ", sparsity.Select(s => (100 * s.ActiveFraction).ToString("0", CultureInfo.InvariantCulture) + "%")) + " (bottom to top)");
            md.Append("- ").Append(v).Append(": ").Append(string.Join("; ", parts)).Append('\n');
        }
        if (MiStudentCorrelation.Of(r.Students) is { } c)
        {
            string R(double v) => double.IsNaN(v) ? "n/a" : v.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);
            md.Append($"- I(X; F_T) against the student's test {r.Students[0].Metric} over {c.Pairs} teacher/student pairs ({c.Seeds} seed(s)): ")
              .Append($"Pearson r {R(c.Pearson)}, Spearman rho {R(c.Spearman)}; within seeds (seed means removed) r {R(c.WithinSeedPearson)}\n");
        }
        return md.ToString();
    }

    private static void Csv(string folder, string name, string header, IEnumerable<string> rows) =>
        WriteAtomically(Path.Combine(folder, name), header + "\n" + string.Join("", rows.Select(r => r + "\n")));

    private static void WriteAtomically(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
