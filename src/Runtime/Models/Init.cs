using System;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Models;

/// <summary>Weight initialisers that TorchSharp lacks or gets wrong.</summary>
public static class Init
{
    /// <summary>
    /// Fills <paramref name="t"/> in place from N(mean, std^2) truncated to [a, b] (absolute bounds,
    /// as in PyTorch) and returns it. PyTorch's inverse-CDF algorithm: TorchSharp 0.107's
    /// <c>nn.init.trunc_normal_</c> swaps mean and std natively and fills a constant.
    /// </summary>
    public static Tensor TruncNormal_(Tensor t, double std = 1, double mean = 0, double a = -2, double b = 2)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "std must be positive.");
        if (!(a < b)) throw new ArgumentException($"Truncation bounds must satisfy a < b, got a = {a}, b = {b}.");

        double lower = NormalCdf((a - mean) / std);
        double upper = NormalCdf((b - mean) / std);

        using var _ = no_grad();
        // Inverse CDF of the standard normal is sqrt(2) * erfinv(2u - 1); sampling 2u - 1 directly
        // saves one pass over the tensor.
        t.uniform_(2 * lower - 1, 2 * upper - 1);
        t.erfinv_();
        t.mul_(std * Math.Sqrt(2.0));
        t.add_(mean);
        // erfinv(+-1) is +-inf when a bound sits far out in the tail; clamping also absorbs rounding.
        t.clamp_((Scalar)a, (Scalar)b);
        return t;
    }

    // .NET has no Math.Erf; LibTorch's double-precision erf is exact enough and already loaded.
    private static double NormalCdf(double x)
    {
        using var _ = no_grad();
        using var v = torch.tensor(x / Math.Sqrt(2.0), ScalarType.Float64);
        using var erf = v.erf();
        return (1.0 + erf.item<double>()) / 2.0;
    }
}
