using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Optim;

/// <summary>Builds a base optimizer. The recipe's optimizers (<c>Options.OptimizerOptions</c>) are such builders.</summary>
public interface IOptimizerBuilder
{
    /// <summary>
    /// The optimizer over a model's parameters, split by whether weight decay applies: the
    /// configured decay for <paramref name="decay"/>, 0 for <paramref name="noDecay"/> (either may
    /// be empty, not both).
    /// </summary>
    optim.Optimizer Create(IReadOnlyList<Parameter> decay, IReadOnlyList<Parameter> noDecay);
}

public static class OptimizerFactory
{
    /// <summary>The base optimizer a recipe names over <paramref name="parameters"/>, all with its weight decay.</summary>
    public static optim.Optimizer Create(IOptimizerBuilder o, IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(parameters);
        return o.Create(parameters.ToArray(), Array.Empty<Parameter>());
    }

    /// <summary>
    /// The base optimizer for a module's parameters. With <paramref name="decayExclusions"/> they
    /// are split into two groups: weight decay as configured for weights, and 0 for every 1-D
    /// parameter (biases, norm scales and shifts) and for position embeddings and class tokens
    /// (names ending in <c>pos_embed</c> or <c>cls_token</c>), as in timm and big_vision.
    /// </summary>
    public static optim.Optimizer Create(IOptimizerBuilder o, nn.Module module, bool decayExclusions)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(module);
        if (!decayExclusions) return Create(o, module.parameters());
        var (decay, noDecay) = DecayGroups(module);
        return o.Create(decay.Select(x => x.Parameter).ToArray(), noDecay.Select(x => x.Parameter).ToArray());
    }

    /// <summary>The named parameters that take weight decay, and those excluded from it (see <see cref="Create(IOptimizerBuilder, nn.Module, bool)"/>).</summary>
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
}
