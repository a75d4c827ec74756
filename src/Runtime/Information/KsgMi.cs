using System;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Information;

/// <summary>
/// The Kraskov-Stoegbauer-Grassberger estimator (Kraskov et al. 2004, algorithm 1) on a projection:
/// each side is reduced to its top <see cref="Dims"/> principal components (computed on the samples),
/// each component scaled to unit variance, then
/// I = psi(k) + psi(n) - mean(psi(n_x + 1) + psi(n_y + 1)) with max-norm neighbourhoods, converted to bits.
/// </summary>
/// <remarks>
/// A different family from the Gram-matrix estimator: it estimates Shannon MI of the projected
/// variables, consistently for continuous densities. For a deterministic map of continuous inputs
/// true MI is infinite; the projection and finite k keep the estimate finite, so read it as a
/// cross-check of trends, not of absolute values. KSG is biased low when the dimension is high,
/// hence the projection.
/// </remarks>
public sealed class KsgMi : IMiEstimator
{
    public KsgMi(int neighbours, int dims)
    {
        if (neighbours < 1) throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, "k must be at least 1");
        if (dims < 1) throw new ArgumentOutOfRangeException(nameof(dims), dims, "the projection needs at least one dimension");
        Neighbours = neighbours;
        Dims = dims;
    }

    public string Name => "ksg";
    public int Neighbours { get; }
    public int Dims { get; }

    public IMiReference Bind(Tensor x) => new Reference(this, x);

    /// <summary>Top principal components, each scaled to unit variance; [n, min(d, Dims)] float64.</summary>
    public Tensor Project(Tensor samples)
    {
        using var scope = NewDisposeScope();
        var x = MiEstimators.Flat64(samples);
        var centred = x - x.mean(new long[] { 0 }, keepdim: true);
        Tensor projected;
        if (centred.shape[1] <= Dims)
            projected = centred;
        else
        {
            // Eigenvectors of the smaller of the two Gram forms: d x d covariance, or n x n samples.
            long n = centred.shape[0], d = centred.shape[1];
            if (d <= n)
            {
                var (_, vectors) = linalg.eigh(centred.t().matmul(centred));
                projected = centred.matmul(vectors.narrow(1, d - Dims, Dims));
            }
            else
            {
                var (values, vectors) = linalg.eigh(centred.matmul(centred.t()));
                // Principal component scores are U * s; the scale is removed below anyway.
                projected = vectors.narrow(1, n - Math.Min(Dims, n), Math.Min(Dims, n)) * values.narrow(0, n - Math.Min(Dims, n), Math.Min(Dims, n)).clamp_min(0).sqrt();
            }
        }
        var std = projected.std(0, keepdim: true);
        // A constant component carries no information: zero it rather than divide by zero, and count
        // spread below float32 rounding of the samples' size as constant (see RenyiMi.RoundingFloor).
        double floor = RenyiMi.RoundingFloor * x.pow(2).sum(1).mean().sqrt().item<double>();
        var informative = std > floor;
        var scaled = where(informative, projected / where(informative, std, ones_like(std)), zeros_like(projected));
        return scaled.MoveToOuterDisposeScope();
    }

    /// <summary>Max-norm distances between all pairs of rows, with the diagonal at +inf (a point is not its own neighbour).</summary>
    private static Tensor Chebyshev(Tensor z)
    {
        using var scope = NewDisposeScope();
        long n = z.shape[0];
        var distance = zeros(n, n, ScalarType.Float64, device: z.device);
        for (long j = 0; j < z.shape[1]; j++)
        {
            var column = z.select(1, j);
            distance = maximum(distance, (column.unsqueeze(1) - column.unsqueeze(0)).abs());
        }
        distance.diagonal().fill_(double.PositiveInfinity);
        return distance.MoveToOuterDisposeScope();
    }

    private sealed class Reference : IMiReference
    {
        private readonly KsgMi _owner;
        private readonly Tensor _dx;

        public Reference(KsgMi owner, Tensor x)
        {
            _owner = owner;
            using var scope = NewDisposeScope();
            _dx = Chebyshev(owner.Project(x)).DetachFromDisposeScope();
        }

        public double Estimate(Tensor y)
        {
            using var scope = NewDisposeScope();
            long n = _dx.shape[0];
            int k = _owner.Neighbours;
            if (k >= n) throw new ArgumentException($"KSG needs more than k = {k} samples, got {n}", nameof(y));
            var dy = Chebyshev(_owner.Project(y));
            if (dy.shape[0] != n) throw new ArgumentException($"X has {n} samples but Y has {dy.shape[0]}", nameof(y));
            var joint = maximum(_dx, dy);
            var (eps, _) = joint.kthvalue(k, 1, keepdim: true);
            // Strictly inside the k-th neighbour's distance, as in algorithm 1 (ties have probability 0
            // for continuous data; exact duplicates count as neighbours at distance 0 < eps only when eps > 0).
            var nx = (_dx < eps).sum(1).to(ScalarType.Float64);
            var ny = (dy < eps).sum(1).to(ScalarType.Float64);
            double nats = Digamma(k) + Digamma(n) - ((nx + 1).digamma() + (ny + 1).digamma()).mean().item<double>();
            return nats / Math.Log(2);
        }

        public void Dispose() => _dx.Dispose();
    }

    private static double Digamma(double v)
    {
        using var t = tensor(v, ScalarType.Float64, device: CPU);
        using var d = t.digamma();
        return d.item<double>();
    }
}
