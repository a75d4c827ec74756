using System;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Information;

/// <summary>
/// Matrix-based Renyi alpha-entropy mutual information (Giraldo, Rao and Principe 2014; Yu et al. 2019):
/// A = K / tr(K) for a Gaussian Gram matrix K of the n samples, S_a(A) = log2(sum_i lambda_i(A)^a) / (1 - a),
/// and I(X; Y) = S(A_X) + S(A_Y) - S(A_X o A_Y / tr(A_X o A_Y)), in bits.
/// </summary>
/// <remarks>
/// Eigenvalues of n x n matrices in float64 (torch.linalg.eigvalsh), so the cost grows as n^3:
/// three decompositions for one estimate, two when X is bound once and reused.
/// With the median rule the estimate is invariant to a common scale of the features and, like every
/// Gram-matrix functional, to the order of the samples. The value depends on the kernel width:
/// compare estimates made under one estimator and one width rule only.
/// </remarks>
public sealed class RenyiMi : IMiEstimator
{
    public RenyiMi(double alpha, IKernelWidth kernel)
    {
        if (!(alpha > 0) || Math.Abs(alpha - 1) < 1e-9 || double.IsInfinity(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be positive and not 1 (the Shannon limit divides by zero); the usual choice is 1.01");
        Alpha = alpha;
        Kernel = kernel ?? throw new ArgumentNullException(nameof(kernel));
        kernel.Validate();
    }

    public string Name => "renyi";
    public double Alpha { get; }
    public IKernelWidth Kernel { get; }

    public IMiReference Bind(Tensor x) => new Reference(this, x);

    /// <summary>S_alpha(A) in bits of one set of samples: the matrix-based Renyi entropy.</summary>
    public double Entropy(Tensor x)
    {
        using var scope = NewDisposeScope();
        return EntropyOf(NormalizedGram(MiEstimators.Flat64(x)));
    }

    /// <summary>A = K / tr(K) for the Gaussian Gram matrix K of the samples [n, d], float64.</summary>
    public Tensor NormalizedGram(Tensor samples)
    {
        using var scope = NewDisposeScope();
        var x = MiEstimators.Flat64(samples);
        long n = x.shape[0];
        var squared = x.pow(2).sum(1);
        var d2 = (squared.unsqueeze(1) + squared.unsqueeze(0) - 2 * x.matmul(x.t())).clamp_min(0);
        d2.diagonal().fill_(0);
        double sigma = Width(d2, n, x);
        // sigma = 0: every sample is the same point, the Gram matrix is all ones (entropy 0).
        var k = sigma > 0 ? (d2 / (-2 * sigma * sigma)).exp() : ones_like(d2);
        return (k / k.trace()).MoveToOuterDisposeScope();
    }

    /// <summary>Relative size below which samples count as one point (float32 has about 7 digits).</summary>
    public const double RoundingFloor = 1e-5;

    private double Width(Tensor d2, long n, Tensor x) => Kernel.Width(() => TypicalDistance(d2, n, x));

    // The median pairwise distance, guarded against samples that coincide.
    private static double TypicalDistance(Tensor d2, long n, Tensor x)
    {
        if (n < 2) return 0;
        var upper = triu_indices(n, n, 1, device: d2.device);
        var distances = d2[upper[0], upper[1]].sqrt();
        // Distances below float32 rounding of the features' size are no information: without this
        // floor, the scale-free median rule would blow rounding noise of a constant representation
        // (say, a CLS token no attention ever reaches) up into bits.
        double floor = RoundingFloor * x.pow(2).sum(1).mean().sqrt().item<double>();
        double median = distances.median().item<double>();
        if (median > floor) return median;
        // More than half the pairs coincide: the median rule would give a zero width; use the mean
        // of the distances that are not zero instead, so distinct samples stay distinguishable.
        var positive = distances[distances > floor];
        return positive.numel() == 0 ? 0 : positive.mean().item<double>();
    }

    /// <summary>S_alpha(A) = log2(sum lambda^alpha) / (1 - alpha) for a unit-trace PSD matrix.</summary>
    public double EntropyOf(Tensor a)
    {
        using var scope = NewDisposeScope();
        // eigvalsh gives tiny negative values for a PSD matrix; they carry no mass.
        var lambda = linalg.eigvalsh(a).clamp_min(0);
        double sum = lambda.pow(Alpha).sum().item<double>();
        return Math.Log2(sum) / (1 - Alpha);
    }

    private sealed class Reference : IMiReference
    {
        private readonly RenyiMi _owner;
        private readonly Tensor _ax;
        private readonly double _hx;

        public Reference(RenyiMi owner, Tensor x)
        {
            _owner = owner;
            _ax = owner.NormalizedGram(x).DetachFromDisposeScope();
            _hx = owner.EntropyOf(_ax);
        }

        public double Estimate(Tensor y)
        {
            using var scope = NewDisposeScope();
            var ay = _owner.NormalizedGram(y);
            if (ay.shape[0] != _ax.shape[0])
                throw new ArgumentException($"X has {_ax.shape[0]} samples but Y has {ay.shape[0]}", nameof(y));
            var joint = _ax * ay;
            joint = joint / joint.trace();
            return _hx + _owner.EntropyOf(ay) - _owner.EntropyOf(joint);
        }

        public void Dispose() => _ax.Dispose();
    }
}

/// <summary>
/// The Gaussian kernel width of <see cref="RenyiMi"/>. The recipe's width rules
/// (<c>Options.KernelWidthOptions</c>) are such widths.
/// </summary>
public interface IKernelWidth
{
    /// <summary>sigma given the samples' typical pairwise distance (<paramref name="medianDistance"/> computes it on demand).</summary>
    double Width(Func<double> medianDistance);

    /// <summary>Throws when the width cannot work.</summary>
    void Validate();
}
