using System;
using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Dsl.Semantics;

/// <summary>"did you mean" by edit distance, for misspelt names.</summary>
internal static class Suggestions
{
    /// <summary>" (did you mean `x`?)" when a candidate is close enough, else "". Parenthesised so it reads
    /// well wherever a message puts it, including before a following "; ..." clause.</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (Candidate: c, Distance: Distance(name, c)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Candidate, StringComparer.Ordinal)
            .FirstOrDefault();
        if (best.Candidate is null) return "";
        int allowed = Math.Max(1, Math.Min(name.Length, best.Candidate.Length) / 3);
        return best.Distance <= allowed ? $" (did you mean `{best.Candidate}`?)" : "";
    }

    public static string List(IEnumerable<string> names) => string.Join(", ", names.Select(n => "`" + n + "`"));

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
