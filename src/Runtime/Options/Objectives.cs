using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Optim;
using TorchSharp;

namespace MiDistill.Runtime.Options;

/// <summary>The fine-tuning objective: how the base optimizer's step is taken (plain, or sharpness-aware).</summary>
[RecipeChoice("objective")]
public abstract record ObjectiveOptions
{
    /// <summary>The optimizer the trainer steps: <paramref name="baseOptimizer"/> itself, or a wrapper around it (which then owns it).</summary>
    public abstract torch.optim.Optimizer Wrap(torch.nn.Module model, torch.optim.Optimizer baseOptimizer);
}

[RecipeForm("cross_entropy", "Plain cross-entropy with the base optimizer (vanilla fine-tuning).")]
public sealed record CrossEntropyObjective : ObjectiveOptions
{
    public override torch.optim.Optimizer Wrap(torch.nn.Module model, torch.optim.Optimizer baseOptimizer) => baseOptimizer;
}

[RecipeForm("sam", "Cross-entropy with sharpness-aware minimisation around the base optimizer (MI-aware).")]
public sealed record SamObjective(
    [RecipeArg(Doc = "neighbourhood radius; the method uses 0.05-0.5", Min = 0, MinExclusive = true)] double Rho = 0.05) : ObjectiveOptions
{
    public override torch.optim.Optimizer Wrap(torch.nn.Module model, torch.optim.Optimizer baseOptimizer) =>
        new Sam(model.parameters(), baseOptimizer, Rho);
}

/// <summary>
/// Adaptive SAM (Kwon et al. 2021): e = Rho T^2 g / ||T g||, T = diag(|w| + Eta) for weights
/// (parameters of two or more dimensions), identity for biases and norm scales (1-D parameters).
/// </summary>
[RecipeForm("asam", "Cross-entropy with adaptive SAM (Kwon et al. 2021): the climb is rho T^2 g / ||T g||, T = |w| + eta for weights, 1 for biases and norms.")]
public sealed record AsamObjective(
    [RecipeArg(Doc = "neighbourhood radius, relative to the weights; about 10x SAM's (0.5-2.0)", Min = 0, MinExclusive = true)] double Rho = 1,
    [RecipeArg(Doc = "added to |w| so that zero weights still move", Min = 0, Max = 10)] double Eta = 0.01) : ObjectiveOptions
{
    public override torch.optim.Optimizer Wrap(torch.nn.Module model, torch.optim.Optimizer baseOptimizer) =>
        new Sam(model.parameters(), baseOptimizer, Rho, adaptive: true, eta: Eta);
}

/// <summary>Down-weighting of the teacher's MLP branches: h = h + alpha_l * MLP(LN(h)) in block l.</summary>
[RecipeChoice("reweight")]
public abstract record ReweightOptions : IBlockReweighting
{
    /// <summary>The MLP-branch weight of each of <paramref name="depth"/> blocks (bottom first) in 0-based <paramref name="epoch"/>.</summary>
    public abstract double[] BlockAlphas(int depth, int epoch);

    /// <summary>
    /// The weight of h' in each block's MLP sub-block (h+ = beta h' + alpha MLP(LN(h'))), bottom first;
    /// 1 (the plain residual) unless a form scales the residual path too.
    /// </summary>
    public virtual double[] BlockResidualScales(int depth, int epoch) => Enumerable.Repeat(1.0, depth).ToArray();

    /// <summary>1 + (alpha - 1) x progress: the weight on its way from 1 to <paramref name="alpha"/>.</summary>
    protected static double Towards(double alpha, double progress, string what)
    {
        if (!(alpha >= 0 && alpha <= 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"{what} must lie in [0, 1].");
        return 1 + (alpha - 1) * progress;
    }
}

[RecipeForm("none", "Every MLP branch keeps weight 1.")]
public sealed record NoReweight : ReweightOptions
{
    public override double[] BlockAlphas(int depth, int epoch) => Enumerable.Repeat(1.0, depth).ToArray();
}

/// <summary>alpha applies to the top <see cref="Top"/> blocks' MLP branch; blocks below keep 1.</summary>
[RecipeForm("mlp", "Scale the MLP branch of the top blocks by alpha (h = h + alpha * MLP(LN(h))).")]
public sealed record MlpReweight(
    [RecipeArg(Doc = "number of top blocks reweighted; at most the teacher's depth", Min = 1, Max = 48, Default = "1")] int Top,
    [RecipeArg(Doc = "MLP branch weight of those blocks", Min = 0, Max = 1, Default = "0.5")] double Alpha,
    [RecipeArg(Doc = "how alpha is reached", Default = "constant")] ReweightScheduleOptions Schedule) : ReweightOptions
{
    public override double[] BlockAlphas(int depth, int epoch)
    {
        if (Top < 0 || Top > depth)
            throw new ArgumentOutOfRangeException(nameof(Top), Top, $"Reweighting the top {Top} blocks needs 0 <= top <= depth ({depth}).");
        ArgumentNullException.ThrowIfNull(Schedule, "Reweighting needs a schedule.");
        var alphas = Enumerable.Repeat(1.0, depth).ToArray();
        double target = Towards(Alpha, Schedule.Progress(epoch), "MLP alpha");
        for (int i = depth - Top; i < depth; i++) alphas[i] = target;
        return alphas;
    }
}

/// <summary>One MLP-branch weight per block, bottom block first (length = the teacher's depth).</summary>
[RecipeForm("mlp_blocks", "One MLP branch weight per block, bottom block first: h = h + alphas[l] * MLP(LN(h)).")]
public sealed record MlpBlocksReweight(
    [RecipeArg(Doc = "one weight per block, bottom first; as many as the teacher's depth", Min = 0, Max = 1)] IReadOnlyList<double> Alphas,
    [RecipeArg(Doc = "how each alpha is reached", Default = "constant")] ReweightScheduleOptions Schedule) : ReweightOptions
{
    public override double[] BlockAlphas(int depth, int epoch)
    {
        ArgumentNullException.ThrowIfNull(Alphas, nameof(Alphas));
        ArgumentNullException.ThrowIfNull(Schedule, "Reweighting needs a schedule.");
        if (Alphas.Count != depth)
            throw new ArgumentException($"Per-block reweighting lists {Alphas.Count} alphas for a teacher of depth {depth}; give one per block.");
        double progress = Schedule.Progress(epoch);
        var result = new double[depth];
        for (int i = 0; i < depth; i++) result[i] = Towards(Alphas[i], progress, $"MLP alpha of block {i}");
        return result;
    }
}

/// <summary>
/// Every block reweighted: the MLP branch by alpha and the residual path by (2 - alpha), so block l's
/// MLP output reaches the top scaled by alpha (2 - alpha)^(L - l). A reconstruction of the paper's
/// formula from a review of it, not from the paper's text (docs/training.md).
/// </summary>
[RecipeForm("all_blocks", "Every block: MLP branch x alpha and residual path x (2 - alpha), compounding to alpha (2 - alpha)^(L-l) on block l (a reconstruction; see docs/training.md).")]
public sealed record AllBlocksReweight(
    [RecipeArg(Doc = "MLP branch weight of every block; the residual path gets 2 - alpha", Min = 0, Max = 1, Default = "0.9")] double Alpha,
    [RecipeArg(Doc = "how alpha is reached", Default = "constant")] ReweightScheduleOptions Schedule) : ReweightOptions
{
    public override double[] BlockAlphas(int depth, int epoch) => Enumerable.Repeat(Current(epoch), depth).ToArray();

    public override double[] BlockResidualScales(int depth, int epoch) => Enumerable.Repeat(2 - Current(epoch), depth).ToArray();

    private double Current(int epoch)
    {
        ArgumentNullException.ThrowIfNull(Schedule, "Reweighting needs a schedule.");
        return Towards(Alpha, Schedule.Progress(epoch), "MLP alpha");
    }
}
