using System;
using System.Linq;
using MiDistill.Runtime.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Models;

public sealed class InitTests
{
    static InitTests() => torch.set_num_threads(1);

    [Fact]
    public void TruncNormal_WithWideBounds_HasTheRequestedMeanAndStd()
    {
        torch.manual_seed(1);
        using var t = empty(1_000_000);

        var returned = Init.TruncNormal_(t, std: 0.02);

        Assert.Same(t, returned);
        double mean = t.mean().item<float>();
        double std = t.std().item<float>();
        Assert.InRange(mean, -1e-4, 1e-4);
        // [-2, 2] are absolute bounds, 100 sigma out: the truncation leaves N(0, 0.02^2) unchanged.
        Assert.InRange(std, 0.0198, 0.0202);
        Assert.True(t.min().item<float>() >= -2 && t.max().item<float>() <= 2);
        // TorchSharp's own trunc_normal_ fills the constant 0.02: the failure this guards against.
        Assert.True(t.max().item<float>() - t.min().item<float>() > 0.1);
    }

    [Fact]
    public void TruncNormal_WithTightBounds_MatchesTheTruncatedNormalMoments()
    {
        torch.manual_seed(2);
        using var t = empty(1_000_000, dtype: ScalarType.Float64);

        Init.TruncNormal_(t, std: 1, mean: 0, a: -1, b: 1);

        // Var of N(0,1) truncated to [-1, 1] = 1 - 2 phi(1) / (Phi(1) - Phi(-1)).
        double phi1 = Math.Exp(-0.5) / Math.Sqrt(2 * Math.PI);
        const double massWithinOneSigma = 0.682689492137086;
        double expectedStd = Math.Sqrt(1 - 2 * phi1 / massWithinOneSigma);
        Assert.Equal(0.53956, expectedStd, 4);

        Assert.InRange(t.mean().item<double>(), -3e-3, 3e-3);
        Assert.InRange(t.std().item<double>(), expectedStd - 3e-3, expectedStd + 3e-3);
        Assert.True(t.min().item<double>() >= -1 && t.max().item<double>() <= 1);
        // The density at the bounds is far from zero, so samples must reach close to them.
        Assert.True(t.min().item<double>() < -0.999 && t.max().item<double>() > 0.999);
    }

    [Fact]
    public void TruncNormal_WithShiftedMean_StaysInsideAsymmetricBounds()
    {
        torch.manual_seed(3);
        using var t = empty(100_000);

        Init.TruncNormal_(t, std: 1, mean: 3, a: 2.5, b: 10);

        Assert.True(t.min().item<float>() >= 2.5f && t.max().item<float>() <= 10f);
        Assert.False(t.isnan().any().item<bool>());
    }

    [Fact]
    public void TruncNormal_InsideADisposeScope_LeavesTheTargetAlive()
    {
        using var t = zeros(1000);
        using (var scope = NewDisposeScope()) {
            Init.TruncNormal_(t, std: 0.5);
        }
        Assert.True(t.std().item<float>() > 0.3f);
    }
}
