using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Benchmarks;

/// <summary>The one summary every benchmark prints of repeated rounds.</summary>
internal static class BenchStats
{
    /// <summary>The middle value, or the mean of the two middle ones for an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }
}
