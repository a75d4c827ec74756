using System;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Information;

/// <summary>
/// A mutual-information estimator between two sets of n paired samples, [n, dx] and [n, dy], in bits.
/// <see cref="Bind"/> does the work that depends on X alone once, since the diagnostics measure many
/// representations H against the same inputs X.
/// </summary>
public interface IMiEstimator
{
    /// <summary>A short name for tables and plots, e.g. <c>renyi</c>.</summary>
    string Name { get; }

    IMiReference Bind(Tensor x);
}

/// <summary>An estimator with its X side prepared; estimates I(X; Y) for any Y with the same n.</summary>
public interface IMiReference : IDisposable
{
    double Estimate(Tensor y);
}

public static class MiEstimators
{
    /// <summary>I(X; Y) in one call.</summary>
    public static double Estimate(this IMiEstimator estimator, Tensor x, Tensor y)
    {
        using var reference = estimator.Bind(x);
        return reference.Estimate(y);
    }

    /// <summary>[n, ...] to [n, d] in float64 on the CPU: the estimators' working precision.</summary>
    internal static Tensor Flat64(Tensor x)
    {
        if (x.dim() < 1) throw new ArgumentException("samples need a leading sample dimension", nameof(x));
        using var flat = x.dim() == 1 ? x.unsqueeze(1) : x.reshape(x.shape[0], -1);
        return flat.to(ScalarType.Float64, CPU);
    }
}
