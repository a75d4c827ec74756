using System;
using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Runtime.Information;

/// <summary>One fine-tuned teacher's I(X; F_T) beside the test score of the student distilled from it.</summary>
public sealed record MiStudentPair(string Variant, int Seed, double Bits, string Metric, double Student);

/// <summary>
/// Does a teacher with more I(X; F_T) give a better student? Over every teacher/student pair of a
/// run: Pearson's r and Spearman's rho pooled, and Pearson's r within seeds (each seed's mean MI and
/// mean score subtracted first), which removes what a seed's data draw does to every variant at once,
/// the same pairing the result table's paired differences use.
/// </summary>
public sealed record MiStudentCorrelation(int Pairs, int Seeds, double Pearson, double Spearman, double WithinSeedPearson)
{
    public static MiStudentCorrelation? Of(IReadOnlyList<MiStudentPair> pairs)
    {
        if (pairs.Count < 3) return null;
        var bits = pairs.Select(p => p.Bits).ToArray();
        var scores = pairs.Select(p => p.Student).ToArray();
        var bySeed = pairs.GroupBy(p => p.Seed).ToDictionary(g => g.Key, g => (Bits: g.Average(p => p.Bits), Student: g.Average(p => p.Student)));
        var centredBits = pairs.Select(p => p.Bits - bySeed[p.Seed].Bits).ToArray();
        var centredScores = pairs.Select(p => p.Student - bySeed[p.Seed].Student).ToArray();
        return new MiStudentCorrelation(pairs.Count, bySeed.Count, Correlation.Pearson(bits, scores), Correlation.Spearman(bits, scores),
            bySeed.Count < pairs.Count ? Correlation.Pearson(centredBits, centredScores) : double.NaN);
    }
}

/// <summary>Correlation coefficients (NaN when a side is constant).</summary>
public static class Correlation
{
    /// <summary>Pearson's r: sum (x - mx)(y - my) / sqrt(sum (x - mx)^2 sum (y - my)^2).</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} x values for {y.Count} y values");
        if (x.Count < 2) return double.NaN;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Spearman's rho: Pearson's r of the ranks, tied values sharing their mean rank.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(Ranks(x), Ranks(y));

    /// <summary>1-based ranks; a run of ties gets the mean of the ranks it spans.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double mean = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = mean;
            start = end + 1;
        }
        return ranks;
    }
}
