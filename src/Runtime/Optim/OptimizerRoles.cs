using System.Collections.Generic;
using TorchSharp;

namespace MiDistill.Runtime.Optim;

/// <summary>
/// An optimizer that wraps another (SAM and ASAM wrap the recipe's optimizer): the wrapped one holds
/// every state a checkpoint must keep, so checkpoints save and restore <see cref="Inner"/>.
/// </summary>
public interface IWrappingOptimizer
{
    torch.optim.Optimizer Inner { get; }
}

/// <summary>An optimizer with figures of its own for each epoch's metrics line (SAM's perturbation norm).</summary>
public interface IOptimizerMetrics
{
    /// <summary>Read once at an epoch's end; reading forces a device sync, so never per step.</summary>
    IReadOnlyDictionary<string, double> EpochMetrics();
}
