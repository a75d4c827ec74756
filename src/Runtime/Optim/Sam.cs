using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Optim;

/// <summary>
/// Sharpness-aware minimisation (Foret et al. 2021) around any TorchSharp optimizer:
/// climb to w + rho g/||g|| (global L2 norm), take the gradient there, come back to w and let the
/// base optimizer step with that gradient. With <c>adaptive</c> it is ASAM (Kwon et al. 2021): the
/// climb is e = rho T^2 g / ||T g|| with T = diag(|w| + eta) for weights (two or more dimensions)
/// and the identity for 1-D parameters (biases, norm scales).
/// </summary>
/// <remarks>
/// Derives from <see cref="optim.Optimizer"/> (as a managed optimizer with no native handle) so
/// training code and LR schedulers treat it like a built-in: <see cref="ParamGroups"/> are the base
/// optimizer's. Sam owns the base optimizer and disposes it.
/// </remarks>
public sealed class Sam : optim.Optimizer, IWrappingOptimizer, IOptimizerMetrics
{
    private readonly Parameter[] parameters_;
    private readonly optim.Optimizer baseOptimizer;
    // Exact copies of the weights before the climb. Restoring by copy rather than by w - e keeps
    // the rounding of w + e - e from drifting the weights over thousands of steps.
    private readonly List<(Parameter Param, Tensor Saved)> climbed = new();
    // ||e|| of the last climb, kept on the device (reading it every step would force a sync).
    private Tensor? lastPerturbation;

    public Sam(IEnumerable<Parameter> parameters, optim.Optimizer baseOptimizer, double rho, bool adaptive = false, double eta = 0.01) : base(IntPtr.Zero)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(baseOptimizer);
        if (!(rho > 0) || double.IsInfinity(rho))
            throw new ArgumentOutOfRangeException(nameof(rho), rho, "SAM's radius rho must be a positive finite number.");
        if (adaptive && (!(eta >= 0) || double.IsInfinity(eta)))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "ASAM's eta must be a finite number >= 0.");
        parameters_ = parameters.ToArray();
        this.baseOptimizer = baseOptimizer;
        Rho = rho;
        Adaptive = adaptive;
        Eta = eta;
    }

    public double Rho { get; }

    /// <summary>True for ASAM (the climb is scaled by |w| + <see cref="Eta"/> per weight).</summary>
    public bool Adaptive { get; }

    public double Eta { get; }

    public optim.Optimizer BaseOptimizer => baseOptimizer;

    optim.Optimizer IWrappingOptimizer.Inner => baseOptimizer;

    IReadOnlyDictionary<string, double> IOptimizerMetrics.EpochMetrics() =>
        new Dictionary<string, double> { ["sam_perturbation_norm"] = LastPerturbationNorm() };

    /// <summary>
    /// The L2 norm of the last climb's perturbation e (NaN before the first): the trainer records it
    /// at each epoch's end. The last step's value rather than an epoch mean, because a run resumed
    /// mid-epoch must record exactly what an uninterrupted run does, and no SAM state is checkpointed.
    /// </summary>
    public double LastPerturbationNorm() => lastPerturbation is null ? double.NaN : lastPerturbation.item<double>();

    public override IEnumerable<optim.ILearningRateController> ParamGroups => baseOptimizer.ParamGroups;

    public override IEnumerable<Parameter> parameters() => parameters_;

    public override void zero_grad()
    {
        baseOptimizer.zero_grad();
        // Parameters handed to Sam but not to the base optimizer would otherwise keep stale grads.
        foreach (var p in parameters_) {
            using var g = p.grad;
            g?.zero_();
        }
    }

    /// <summary>
    /// Moves every parameter with a gradient to w + rho g / (||g||_2 + 1e-12), or for ASAM to
    /// w + rho T^2 g / (||T g||_2 + 1e-12).
    /// </summary>
    public void FirstStep()
    {
        if (climbed.Count > 0)
            throw new InvalidOperationException("FirstStep called twice without SecondStep: the weights are already perturbed.");

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var withGrad = new List<(Parameter Param, Tensor Grad)>();
        foreach (var p in parameters_) {
            var g = p.grad;
            if (g is not null) withGrad.Add((p, g));
        }
        if (withGrad.Count == 0) return;

        // One global norm over all tensors, as in the paper; kept on the device so no sync is forced.
        // Half-precision grads are summed in float32; double grads keep their precision.
        var normType = withGrad.Any(x => x.Grad.dtype == ScalarType.Float64) ? ScalarType.Float64 : ScalarType.Float32;
        // T per parameter (null = identity). Scale-invariant in g, so clipping g first changes nothing.
        var t = withGrad.Select(x => Adaptive && x.Param.dim() > 1 ? x.Param.detach().abs().add(Eta) : null).ToArray();
        var norms = stack(withGrad.Select((x, i) => linalg.vector_norm((t[i] is null ? x.Grad : x.Grad * t[i]!).to(normType))).ToArray());
        var scale = (Rho / (linalg.vector_norm(norms) + 1e-12));
        // ||e|| = scale * ||T^2 g||: rho for SAM (up to the 1e-12), varying with the weights for ASAM.
        var directionNorms = Adaptive
            ? stack(withGrad.Select((x, i) => linalg.vector_norm((t[i] is null ? x.Grad : x.Grad * t[i]! * t[i]!).to(normType))).ToArray())
            : norms;
        lastPerturbation?.Dispose();
        lastPerturbation = (scale * linalg.vector_norm(directionNorms)).to(ScalarType.Float64).DetachFromDisposeScope();
        for (int i = 0; i < withGrad.Count; i++) {
            var (p, g) = withGrad[i];
            var saved = p.detach().clone().DetachFromDisposeScope();
            climbed.Add((p, saved));
            var direction = t[i] is null ? g : g * t[i]! * t[i]!;
            p.add_(direction * scale.to(g.dtype));
        }
    }

    /// <summary>Returns to the weights saved by <see cref="FirstStep"/>, then steps the base optimizer with the current grads.</summary>
    public void SecondStep()
    {
        RestoreWeights();
        using var loss = baseOptimizer.step();
    }

    /// <summary>
    /// One SAM step. <paramref name="closure"/> must zero the grads, run forward and backward and
    /// return the loss; it runs twice (at w and at w + e). Returns the first loss (at w).
    /// </summary>
    /// <remarks>The second loss is left to the caller's dispose scope, like every tensor the closure makes.</remarks>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (closure is null)
            throw new ArgumentNullException(nameof(closure), "SAM needs a closure that re-evaluates the loss at the perturbed weights.");

        Tensor loss;
        using (enable_grad()) loss = closure();
        FirstStep();
        try {
            zero_grad();
            using (enable_grad()) closure();
        } catch {
            // Never leave the model at the perturbed point.
            RestoreWeights();
            throw;
        }
        SecondStep();
        return loss;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            foreach (var (_, saved) in climbed) saved.Dispose();
            climbed.Clear();
            lastPerturbation?.Dispose();
            lastPerturbation = null;
            baseOptimizer.Dispose();
        }
        base.Dispose(disposing);
    }

    private void RestoreWeights()
    {
        using var noGrad = no_grad();
        foreach (var (p, saved) in climbed) {
            p.copy_(saved);
            saved.Dispose();
        }
        climbed.Clear();
    }
}
