using System;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>
/// A model that knows how checkpoints made elsewhere map onto it: which keys are its classifier
/// head (replaced when the class count differs), which keys a checkpoint may lack, how to adapt a
/// tensor of another shape. A model without it loads only checkpoints that match it exactly.
/// </summary>
public interface ICheckpointLayout
{
    LoadRules LoadRules { get; }

    /// <summary>Runs after a checkpoint was loaded, e.g. to reset state no checkpoint should carry over.</summary>
    void AfterLoad() { }
}

/// <summary>Loads checkpoints into models by their own <see cref="ICheckpointLayout"/>.</summary>
public static class ModelCheckpoints
{
    public static LoadRules RulesFor(nn.Module model) => (model as ICheckpointLayout)?.LoadRules ?? LoadRules.Strict;

    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/> with its architecture's rules.</summary>
    public static LoadReport Load(nn.Module model, string path)
    {
        var report = CheckpointLoader.Load(model, path, RulesFor(model));
        (model as ICheckpointLayout)?.AfterLoad();
        return report;
    }

    /// <summary>The rules of a CNN with its classifier under <paramref name="head"/>; BatchNorm's step counter is bookkeeping some exporters drop.</summary>
    public static LoadRules Cnn(string head) => new()
    {
        IsHead = k => k.StartsWith(head, StringComparison.Ordinal),
        MayBeMissing = k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal),
    };
}
