using System;
using System.Linq;
using MiDistill.Runtime.Distill;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Distill;

public sealed class DistLossTests
{
    static DistLossTests() => torch.set_num_threads(1);

    private static readonly double[,] S = { { 1.0, 0.2, -0.5 }, { 0.3, 0.8, 0.1 } };
    private static readonly double[,] T = { { 2.0, -1.0, 0.0 }, { -0.4, 1.2, 0.6 } };
    private static readonly long[] Y = { 0, 2 };

    private static double[,] Softmax(double[,] logits, double temperature)
    {
        int b = logits.GetLength(0), c = logits.GetLength(1);
        var p = new double[b, c];
        for (int i = 0; i < b; i++) {
            double max = Enumerable.Range(0, c).Max(j => logits[i, j] / temperature);
            double z = Enumerable.Range(0, c).Sum(j => Math.Exp(logits[i, j] / temperature - max));
            for (int j = 0; j < c; j++) p[i, j] = Math.Exp(logits[i, j] / temperature - max) / z;
        }
        return p;
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double dot = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
        double na = Math.Sqrt(a.Sum(x => (x - ma) * (x - ma))), nb = Math.Sqrt(b.Sum(y => (y - mb) * (y - mb)));
        return dot / (na * nb + 1e-8);
    }

    private static double Expected(double inter, double intra, double temperature, double weight)
    {
        var ps = Softmax(S, temperature);
        var pt = Softmax(T, temperature);
        double interLoss = Enumerable.Range(0, 2).Average(i =>
            1 - Pearson(Enumerable.Range(0, 3).Select(j => ps[i, j]).ToArray(), Enumerable.Range(0, 3).Select(j => pt[i, j]).ToArray()));
        double intraLoss = Enumerable.Range(0, 3).Average(j =>
            1 - Pearson(Enumerable.Range(0, 2).Select(i => ps[i, j]).ToArray(), Enumerable.Range(0, 2).Select(i => pt[i, j]).ToArray()));
        var p1 = Softmax(S, 1);
        double ce = Enumerable.Range(0, 2).Average(i => -Math.Log(p1[i, Y[i]]));
        return (1 - weight) * ce + weight * temperature * temperature * (inter * interLoss + intra * intraLoss);
    }

    private static Tensor Logits(double[,] v) => tensor(v.Cast<double>().ToArray(), new long[] { 2, 3 }, ScalarType.Float64);

    [Theory]
    [InlineData(1.0, 1.0, 1.0, 1.0)]
    [InlineData(1.0, 2.0, 4.0, 1.0)]
    [InlineData(0.5, 1.0, 2.0, 0.3)]
    public void Matches_the_closed_form(double inter, double intra, double temperature, double weight)
    {
        using var s = Logits(S);
        using var t = Logits(T);
        using var y = tensor(Y);
        using var loss = DistLoss.Compute(s, t, y, inter, intra, temperature, weight);
        Assert.Equal(Expected(inter, intra, temperature, weight), loss.item<double>(), 10);
    }

    [Fact]
    public void Identical_distributions_cost_nothing_and_the_gradient_reaches_only_the_student()
    {
        using var s = Logits(S).requires_grad_(true);
        using var t = Logits(S).requires_grad_(true);
        using var loss = DistLoss.Compute(s, t, null, 1, 1, 1, 1);
        // Not exactly 0: the 1e-8 guard in Pearson's denominator is ~1e-6 of these small centred norms.
        Assert.Equal(0.0, loss.item<double>(), 5);
        loss.backward();
        Assert.Null(t.grad);
        Assert.NotNull(s.grad);
    }
}
