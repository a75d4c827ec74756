using System;
using System.Linq;

namespace MiDistill.Runtime.Optim;

/// <summary>
/// How a ViT teacher's blocks are reweighted in each 0-based fine-tuning epoch: the weight of each
/// block's MLP branch and the scale of its residual path, bottom block first, one per block. The
/// recipe's reweightings (<c>Options.ReweightOptions</c>) are such weightings.
/// </summary>
public interface IBlockReweighting
{
    double[] BlockAlphas(int depth, int epoch);
    double[] BlockResidualScales(int depth, int epoch);
}

public static class ReweightSchedule
{
    /// <summary>
    /// MLP-branch weights for each of <paramref name="depth"/> blocks (bottom first) in 0-based
    /// <paramref name="epoch"/>. The top blocks get alpha (constant) or
    /// 1 + (alpha - 1) min(1, (epoch + 1) / E) (ramp over E epochs); the others keep 1. Per-block
    /// alphas (the recipe's <c>mlp_blocks</c>) follow the same schedule, each towards its own target.
    /// </summary>
    public static double[] Alphas(IBlockReweighting o, int depth, int epoch)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth must be >= 1.");
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epoch is 0-based and must be >= 0.");

        var alphas = o.BlockAlphas(depth, epoch);
        if (alphas is null || alphas.Length != depth)
            throw new InvalidOperationException($"{o.GetType().Name} gave {alphas?.Length ?? 0} MLP weights for a teacher of depth {depth}");
        return alphas;
    }

    /// <summary>The residual scale of each block in 0-based <paramref name="epoch"/> (1 unless the form scales the residual path).</summary>
    public static double[] ResidualScales(IBlockReweighting o, int depth, int epoch)
    {
        ArgumentNullException.ThrowIfNull(o);
        var scales = o.BlockResidualScales(depth, epoch);
        if (scales is null || scales.Length != depth)
            throw new InvalidOperationException($"{o.GetType().Name} gave {scales?.Length ?? 0} residual scales for a teacher of depth {depth}");
        return scales;
    }
}
