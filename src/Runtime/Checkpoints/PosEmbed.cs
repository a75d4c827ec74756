using System;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>Position-embedding resampling, as timm's <c>resample_abs_pos_embed</c>.</summary>
public static class PosEmbed
{
    /// <summary>
    /// [1, prefix + h*w, D] -> [1, prefix + newH*newW, D]: the prefix (class) tokens are kept, the
    /// square patch grid is interpolated (bicubic, antialiased, align_corners false, as timm).
    /// </summary>
    public static Tensor Resample(Tensor posEmbed, int newGrid, int numPrefixTokens = 1, InterpolationMode mode = InterpolationMode.Bicubic)
    {
        ArgumentNullException.ThrowIfNull(posEmbed);
        if (posEmbed.dim() != 3 || posEmbed.shape[0] != 1)
            throw new ArgumentException($"Expected a position embedding [1, N, D], got [{string.Join(", ", posEmbed.shape)}].", nameof(posEmbed));
        long patches = posEmbed.shape[1] - numPrefixTokens;
        int oldGrid = (int)Math.Round(Math.Sqrt(patches));
        if (patches < 1 || oldGrid * oldGrid != patches)
            throw new ArgumentException($"The position embedding's {patches} patch tokens do not form a square grid.", nameof(posEmbed));
        long dim = posEmbed.shape[2];
        using var scope = NewDisposeScope();
        var input = posEmbed.to(ScalarType.Float32);
        var prefix = input.narrow(1, 0, numPrefixTokens);
        var grid = input.narrow(1, numPrefixTokens, patches).reshape(1, oldGrid, oldGrid, dim).permute(0, 3, 1, 2);
        var resized = nn.functional.interpolate(grid, new long[] { newGrid, newGrid }, mode: mode, align_corners: false, antialias: true);
        var tokens = resized.permute(0, 2, 3, 1).reshape(1, (long)newGrid * newGrid, dim);
        return cat(new[] { prefix, tokens }, 1).to(posEmbed.dtype).MoveToOuterDisposeScope();
    }
}
