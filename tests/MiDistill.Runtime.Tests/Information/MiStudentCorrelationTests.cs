using System;
using MiDistill.Runtime.Information;

namespace MiDistill.Runtime.Tests.Information;

/// <summary>The MI-student correlation against values computed by hand.</summary>
public sealed class MiStudentCorrelationTests
{
    [Fact]
    public void Pearson_and_Spearman_match_the_hand_computation()
    {
        double[] x = { 1, 2, 3, 4, 5 }, y = { 2, 4, 5, 4, 5 };
        // dx = [-2, -1, 0, 1, 2], dy = [-2, 0, 1, 0, 1]: r = 6 / sqrt(10 x 6).
        Assert.Equal(6 / Math.Sqrt(60), Correlation.Pearson(x, y), 12);
        // Ranks of y with ties shared: [1, 2.5, 4.5, 2.5, 4.5]; rho = 7 / sqrt(10 x 9).
        Assert.Equal(new[] { 1, 2.5, 4.5, 2.5, 4.5 }, Correlation.Ranks(y));
        Assert.Equal(7 / Math.Sqrt(90), Correlation.Spearman(x, y), 12);
        Assert.True(double.IsNaN(Correlation.Pearson(x, new double[] { 3, 3, 3, 3, 3 })));
    }

    [Fact]
    public void Within_seeds_removes_what_a_seed_does_to_every_variant()
    {
        // Seed 1's draw is harder for everyone: pooled, more MI goes with worse students
        // (r = -0.5 / sqrt(5 x 0.1)); within each seed, more MI goes with a better student (r = 1).
        var pairs = new[]
        {
            new MiStudentPair("a", 0, 1, "acc", 0.5), new MiStudentPair("b", 0, 2, "acc", 0.6),
            new MiStudentPair("a", 1, 3, "acc", 0.2), new MiStudentPair("b", 1, 4, "acc", 0.3),
        };
        var c = MiStudentCorrelation.Of(pairs)!;
        Assert.Equal(4, c.Pairs);
        Assert.Equal(2, c.Seeds);
        Assert.Equal(-0.5 / Math.Sqrt(0.5), c.Pearson, 12);
        Assert.Equal(1.0, c.WithinSeedPearson, 12);
        Assert.Null(MiStudentCorrelation.Of(pairs[..2]));
    }
}
