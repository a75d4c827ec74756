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
