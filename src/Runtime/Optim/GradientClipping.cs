using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Optim;

public static class GradientClipping
{
    /// <summary>
    /// Rescales every gradient by maxNorm / ||g|| when the global L2 norm ||g|| over all of them
    /// exceeds <paramref name="maxNorm"/>; smaller gradients are left as they are. Only rescales, so
    /// the update's direction never changes. Returns the norm before clipping on the CPU; on another
    /// device it returns NaN and clips without reading anything back (<see cref="ClipOnDevice"/>).
    /// </summary>
    public static double ClipByGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The clipping norm must be positive and finite.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToArray();
        if (grads.Length == 0) return 0;
        if (grads[0].device.type != TorchSharp.DeviceType.CPU)
        {
            using var onDevice = ClipOnDevice(grads, maxNorm);
            return double.NaN;
        }
        // The norm is accumulated in float64 whatever the gradients' type, so the scale is exact enough
        // and reading it back does not depend on the model's precision.
        double norm = linalg.vector_norm(stack(grads.Select(g => linalg.vector_norm(g.to(ScalarType.Float64))).ToArray())).item<double>();
        if (norm > maxNorm)
            foreach (var g in grads) g.mul_(maxNorm / norm);
        return norm;
    }

    /// <summary>
    /// The clipping of a GPU step, without a host-device synchronisation: the global norm stays on the
    /// device, in float32 (float64 is slow on most GPUs), and every gradient is multiplied by
    /// min(1, maxNorm / (norm + 1e-6)) as PyTorch's <c>clip_grad_norm_</c> does, which is exactly 1
    /// below the threshold. Returns the norm before clipping, on the device (owned by the caller).
    /// </summary>
    internal static Tensor ClipOnDevice(IReadOnlyList<Tensor> grads, double maxNorm)
    {
        using var noGrad = no_grad();
        Tensor norm, factor;
        using (var scope = NewDisposeScope())
        {
            var norms = grads.Select(g => linalg.vector_norm(g.dtype == ScalarType.Float32 ? g : g.to(ScalarType.Float32))).ToArray();
            norm = linalg.vector_norm(stack(norms));
            factor = (norm + 1e-6).reciprocal().mul(maxNorm).clamp_max(1.0);
            norm.MoveToOuterDisposeScope();
            factor.MoveToOuterDisposeScope();
        }
        using (factor)
            foreach (var g in grads)
            {
                if (g.dtype == factor.dtype) g.mul_(factor);
                else using (var cast = factor.to(g.dtype)) g.mul_(cast);
            }
        return norm;
    }
}
