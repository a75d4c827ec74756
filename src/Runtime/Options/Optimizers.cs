using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Optim;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;

namespace MiDistill.Runtime.Options;

/// <summary>A base optimizer: builds itself over a model's parameters, split by whether weight decay applies.</summary>
[RecipeChoice("optimizer")]
public abstract record OptimizerOptions : IOptimizerBuilder
{
    /// <summary>The rate the learning-rate schedule multiplies.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public abstract double BaseLearningRate { get; }

    /// <summary>
    /// The optimizer over <paramref name="decay"/> (the configured weight decay) and
    /// <paramref name="noDecay"/> (weight decay 0); either may be empty, not both.
    /// </summary>
    public abstract torch.optim.Optimizer Create(IReadOnlyList<Parameter> decay, IReadOnlyList<Parameter> noDecay);

    internal static void RequirePositive(double value, string what)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be positive and finite.");
    }

    internal static void RequireNonNegative(double value, string what)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be >= 0 and finite.");
    }
}

[RecipeForm("sgd", "SGD with momentum.")]
public sealed record SgdOptions(
    [RecipeArg("lr", Doc = "base learning rate", Min = 0, MinExclusive = true, Max = 10)] double LearningRate = 0.01,
    [RecipeArg(Doc = "momentum factor", Min = 0, Max = 1, MaxExclusive = true)] double Momentum = 0.9,
    [RecipeArg(Doc = "L2 weight decay", Min = 0, Max = 1)] double WeightDecay = 0,
    [RecipeArg(Doc = "Nesterov momentum")] bool Nesterov = false) : OptimizerOptions
{
    public override double BaseLearningRate => LearningRate;

    public override torch.optim.Optimizer Create(IReadOnlyList<Parameter> decay, IReadOnlyList<Parameter> noDecay)
    {
        RequirePositive(LearningRate, "SGD learning rate");
        RequireNonNegative(WeightDecay, "SGD weight decay");
        if (!(Momentum >= 0 && Momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "SGD momentum must lie in [0, 1).");
        if (Nesterov && Momentum == 0)
            throw new ArgumentException("Nesterov SGD needs a momentum > 0.");
        if (noDecay.Count == 0)
            return torch.optim.SGD(decay, LearningRate, momentum: Momentum, weight_decay: WeightDecay, nesterov: Nesterov);
        return torch.optim.SGD(new[]
        {
            new TorchSharp.Modules.SGD.ParamGroup(decay, LearningRate, Momentum, 0, WeightDecay, Nesterov),
            new TorchSharp.Modules.SGD.ParamGroup(noDecay, LearningRate, Momentum, 0, 0, Nesterov),
        }.Where(g => g.Parameters.Any()), LearningRate, momentum: Momentum, weight_decay: WeightDecay, nesterov: Nesterov);
    }
}

[RecipeForm("adamw", "AdamW (decoupled weight decay).")]
public sealed record AdamWOptions(
    [RecipeArg("lr", Doc = "base learning rate", Min = 0, MinExclusive = true, Max = 10)] double LearningRate = 0.001,
    [RecipeArg(Doc = "first-moment decay", Min = 0, Max = 1, MaxExclusive = true)] double Beta1 = 0.9,
    [RecipeArg(Doc = "second-moment decay", Min = 0, Max = 1, MaxExclusive = true)] double Beta2 = 0.999,
    [RecipeArg(Doc = "decoupled weight decay", Min = 0, Max = 1)] double WeightDecay = 0.05) : OptimizerOptions
{
    public override double BaseLearningRate => LearningRate;

    public override torch.optim.Optimizer Create(IReadOnlyList<Parameter> decay, IReadOnlyList<Parameter> noDecay)
    {
        RequirePositive(LearningRate, "AdamW learning rate");
        RequireNonNegative(WeightDecay, "AdamW weight decay");
        if (!(Beta1 >= 0 && Beta1 < 1 && Beta2 >= 0 && Beta2 < 1))
            throw new ArgumentOutOfRangeException(nameof(Beta1), $"AdamW betas must lie in [0, 1), got ({Beta1}, {Beta2}).");
        if (noDecay.Count == 0)
            return torch.optim.AdamW(decay, LearningRate, Beta1, Beta2, weight_decay: WeightDecay);
        return torch.optim.AdamW(new[]
        {
            new TorchSharp.Modules.AdamW.ParamGroup(decay, LearningRate, Beta1, Beta2, weight_decay: WeightDecay),
            new TorchSharp.Modules.AdamW.ParamGroup(noDecay, LearningRate, Beta1, Beta2, weight_decay: 0),
        }.Where(g => g.Parameters.Any()), LearningRate, Beta1, Beta2, weight_decay: WeightDecay);
    }
}
