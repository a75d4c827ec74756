using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Options;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Optim;

public static class OptimizerFactory
{
    /// <summary>The base optimizer a recipe names, at its base learning rate.</summary>
    public static optim.Optimizer Create(OptimizerOptions o, IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(parameters);
        var ps = parameters.ToArray();
        switch (o) {
        case SgdOptions sgd:
            RequirePositive(sgd.LearningRate, "SGD learning rate");
            RequireNonNegative(sgd.WeightDecay, "SGD weight decay");
            if (!(sgd.Momentum >= 0 && sgd.Momentum < 1))
                throw new ArgumentOutOfRangeException(nameof(o), sgd.Momentum, "SGD momentum must lie in [0, 1).");
            if (sgd.Nesterov && sgd.Momentum == 0)
                throw new ArgumentException("Nesterov SGD needs a momentum > 0.", nameof(o));
            return optim.SGD(ps, sgd.LearningRate, momentum: sgd.Momentum, weight_decay: sgd.WeightDecay, nesterov: sgd.Nesterov);
        case AdamWOptions adamw:
            RequirePositive(adamw.LearningRate, "AdamW learning rate");
            RequireNonNegative(adamw.WeightDecay, "AdamW weight decay");
            if (!(adamw.Beta1 >= 0 && adamw.Beta1 < 1 && adamw.Beta2 >= 0 && adamw.Beta2 < 1))
                throw new ArgumentOutOfRangeException(nameof(o), $"AdamW betas must lie in [0, 1), got ({adamw.Beta1}, {adamw.Beta2}).");
            return optim.AdamW(ps, adamw.LearningRate, adamw.Beta1, adamw.Beta2, weight_decay: adamw.WeightDecay);
        default:
            throw new NotSupportedException(
                $"Optimizer type '{o.GetType().Name}' is not supported; known optimizers: {nameof(SgdOptions)}, {nameof(AdamWOptions)}.");
        }
    }

    /// <summary>
    /// The base optimizer for a module's parameters. With <paramref name="decayExclusions"/> they
    /// are split into two groups: weight decay as configured for weights, and 0 for every 1-D
    /// parameter (biases, norm scales and shifts) and for position embeddings and class tokens
    /// (names ending in <c>pos_embed</c> or <c>cls_token</c>), as in timm and big_vision.
    /// </summary>
    public static optim.Optimizer Create(OptimizerOptions o, nn.Module module, bool decayExclusions)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(module);
        if (!decayExclusions) return Create(o, module.parameters());
        var (decay, noDecay) = DecayGroups(module);
        var withDecay = decay.Select(x => x.Parameter).ToArray();
        var without = noDecay.Select(x => x.Parameter).ToArray();
        var checkedOptimizer = Create(o, withDecay.Concat(without));  // validates the options
        checkedOptimizer.Dispose();
        switch (o) {
        case SgdOptions sgd:
            return optim.SGD(new[]
            {
                new TorchSharp.Modules.SGD.ParamGroup(withDecay, sgd.LearningRate, sgd.Momentum, 0, sgd.WeightDecay, sgd.Nesterov),
                new TorchSharp.Modules.SGD.ParamGroup(without, sgd.LearningRate, sgd.Momentum, 0, 0, sgd.Nesterov),
            }.Where(g => g.Parameters.Any()), sgd.LearningRate, momentum: sgd.Momentum, weight_decay: sgd.WeightDecay, nesterov: sgd.Nesterov);
        case AdamWOptions adamw:
            return optim.AdamW(new[]
            {
                new TorchSharp.Modules.AdamW.ParamGroup(withDecay, adamw.LearningRate, adamw.Beta1, adamw.Beta2, weight_decay: adamw.WeightDecay),
                new TorchSharp.Modules.AdamW.ParamGroup(without, adamw.LearningRate, adamw.Beta1, adamw.Beta2, weight_decay: 0),
            }.Where(g => g.Parameters.Any()), adamw.LearningRate, adamw.Beta1, adamw.Beta2, weight_decay: adamw.WeightDecay);
        default:
            throw new NotSupportedException($"Optimizer type '{o.GetType().Name}' is not supported.");
        }
    }

    /// <summary>The named parameters that take weight decay, and those excluded from it (see <see cref="Create(OptimizerOptions, nn.Module, bool)"/>).</summary>
    public static (IReadOnlyList<(string Name, Parameter Parameter)> Decay, IReadOnlyList<(string Name, Parameter Parameter)> NoDecay) DecayGroups(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach (var (name, p) in module.named_parameters()) {
            if (!p.requires_grad) continue;
            bool excluded = p.dim() <= 1 || name.EndsWith("pos_embed", StringComparison.Ordinal) || name.EndsWith("cls_token", StringComparison.Ordinal);
            (excluded ? noDecay : decay).Add((name, p));
        }
        return (decay, noDecay);
    }

    /// <summary>Sets the rate of every parameter group (what a schedule does each step).</summary>
    public static void SetLearningRate(optim.Optimizer opt, double lr)
    {
        ArgumentNullException.ThrowIfNull(opt);
        foreach (var group in opt.ParamGroups) group.LearningRate = lr;
    }

    public static double BaseLearningRate(OptimizerOptions o) => o switch {
        SgdOptions sgd => sgd.LearningRate,
        AdamWOptions adamw => adamw.LearningRate,
        null => throw new ArgumentNullException(nameof(o)),
        _ => throw new NotSupportedException($"Optimizer type '{o.GetType().Name}' is not supported."),
    };

    private static void RequirePositive(double value, string what)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be positive and finite.");
    }

    private static void RequireNonNegative(double value, string what)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be >= 0 and finite.");
    }
}
