using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace MiDistill.Runtime.Reporting;

/// <summary>
/// A variant against the reference variant over paired seeds: per seed d = variant - reference (the
/// two share the seed's data draw, initialisation and batch order), then the mean of d, its sample
/// standard deviation, a 95% confidence interval mean +- t(0.975, n - 1) sd / sqrt(n) (Student t),
/// and the seeds on which the variant is ahead.
/// </summary>
public sealed record PairedDifference(string Variant, string Metric, int Seeds, double Mean, double Sd, double Low, double High, int Wins)
{
    /// <summary>False when the interval covers 0 (or there is a single seed): the difference is not distinguishable from seed noise.</summary>
    public bool Distinguishable => Seeds >= 2 && (Low > 0 || High < 0);

    public string Reading => Seeds < 2 ? "one seed: no interval" : Distinguishable ? (Mean > 0 ? "better" : "worse") : "not distinguishable from noise";

    /// <summary>The paired difference of <paramref name="variantBySeed"/> minus <paramref name="referenceBySeed"/>, by seed; seeds only one of them has are left out.</summary>
    public static PairedDifference Of(string variant, string metric, IReadOnlyDictionary<int, double> variantBySeed, IReadOnlyDictionary<int, double> referenceBySeed)
    {
        var differences = variantBySeed.Keys.Where(referenceBySeed.ContainsKey).Order()
            .Select(seed => variantBySeed[seed] - referenceBySeed[seed]).ToArray();
        int n = differences.Length;
        if (n == 0) return new PairedDifference(variant, metric, 0, double.NaN, double.NaN, double.NaN, double.NaN, 0);
        double mean = differences.Average();
        double sd = n < 2 ? 0 : Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (n - 1));
        double half = n < 2 ? double.NaN : StudentT975(n - 1) * sd / Math.Sqrt(n);
        return new PairedDifference(variant, metric, n, mean, sd, mean - half, mean + half, differences.Count(d => d > 0));
    }

    // Two-sided 95% quantiles t(0.975, df); between tabled values the smaller df is used (a wider, conservative interval).
    private static readonly (int Df, double T)[] Quantiles =
    {
        (1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (6, 2.447), (7, 2.365), (8, 2.306), (9, 2.262), (10, 2.228),
        (11, 2.201), (12, 2.179), (13, 2.160), (14, 2.145), (15, 2.131), (16, 2.120), (17, 2.110), (18, 2.101), (19, 2.093), (20, 2.086),
        (21, 2.080), (22, 2.074), (23, 2.069), (24, 2.064), (25, 2.060), (26, 2.056), (27, 2.052), (28, 2.048), (29, 2.045), (30, 2.042),
        (40, 2.021), (60, 2.000), (120, 1.980),
    };

    /// <summary>t(0.975, df), the 97.5% quantile of Student's t with <paramref name="df"/> degrees of freedom.</summary>
    public static double StudentT975(int df)
    {
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df), df, "degrees of freedom must be >= 1");
        double t = 1.960;
        foreach (var (tabled, value) in Quantiles)
            if (tabled <= df) t = value;
        return df > 120 ? 1.960 : t;
    }

    /// <summary>Every non-reference variant against <paramref name="reference"/>, per metric column, as a Markdown table.</summary>
    public static string ToMarkdown(string reference, IReadOnlyList<PairedDifference> rows)
    {
        var text = new StringBuilder()
            .Append("Paired differences against `").Append(reference).Append("` (per seed: variant - ").Append(reference)
            .Append(", in points; 95% interval by Student t over the seeds; wins = seeds on which the variant is ahead):\n")
            .Append("| variant | metric | mean diff | sd | 95% interval | wins | reading |\n")
            .Append("|:--------|:-------|----------:|---:|:------------:|-----:|:--------|\n");
        foreach (var r in rows)
            text.Append("| ").Append(r.Variant).Append(" | ").Append(r.Metric).Append(" | ").Append(Points(r.Mean)).Append(" | ")
                .Append(r.Seeds < 2 ? "" : (100 * r.Sd).ToString("0.0", CultureInfo.InvariantCulture)).Append(" | ")
                .Append(r.Seeds < 2 ? "" : "[" + Points(r.Low) + ", " + Points(r.High) + "]").Append(" | ")
                .Append(r.Wins.ToString(CultureInfo.InvariantCulture)).Append('/').Append(r.Seeds.ToString(CultureInfo.InvariantCulture)).Append(" | ")
                .Append(r.Reading).Append(" |\n");
        return text.ToString();
    }

    /// <summary>The same rows as CSV with raw fractions (results-paired.csv).</summary>
    public static string ToCsv(string reference, IReadOnlyList<PairedDifference> rows)
    {
        string N(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
        var text = new StringBuilder("reference,variant,metric,seeds,mean,sd,low,high,wins,distinguishable\n");
        foreach (var r in rows)
            text.Append(reference).Append(',').Append(r.Variant).Append(',').Append(r.Metric).Append(',').Append(r.Seeds.ToString(CultureInfo.InvariantCulture))
                .Append(',').Append(N(r.Mean)).Append(',').Append(N(r.Sd)).Append(',').Append(N(r.Low)).Append(',').Append(N(r.High))
                .Append(',').Append(r.Wins.ToString(CultureInfo.InvariantCulture)).Append(',').Append(r.Distinguishable ? "true" : "false").Append('\n');
        return text.ToString();
    }

    private static string Points(double fraction) =>
        double.IsNaN(fraction) ? "" : (100 * fraction).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture);
}
