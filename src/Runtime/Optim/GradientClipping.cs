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
    /// the update's direction never changes. Returns the norm before clipping.
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
        // The norm is accumulated in float64 whatever the gradients' type, so the scale is exact enough
        // and reading it back does not depend on the model's precision.
        double norm = linalg.vector_norm(stack(grads.Select(g => linalg.vector_norm(g.to(ScalarType.Float64))).ToArray())).item<double>();
        if (norm > maxNorm)
            foreach (var g in grads) g.mul_(maxNorm / norm);
        return norm;
    }
}
