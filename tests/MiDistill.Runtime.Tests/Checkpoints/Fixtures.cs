using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Options;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Checkpoints;

/// <summary>The PyTorch-made fixtures (tools/reference/make_fixtures.py) and the models they describe.</summary>
internal static class Fixtures
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", file);

    /// <summary>vit_micro: timm layout, image 32, patch 8, 3 channels, width 48, 3 blocks, 3 heads, MLP ratio 4.</summary>
    public static VitOptions VitMicro(int imageSize = 32, int inChannels = 3) => new()
    {
        Name = "vit_micro",
        ImageSize = imageSize,
        PatchSize = 8,
        InChannels = inChannels,
        EmbedDim = 48,
        Depth = 3,
        Heads = 3,
        MlpRatio = 4,
    };

    /// <summary>Blocks per stage of the EfficientNetV2 fixtures (B0: 1, 2, 2, 3, 5, 8): every block type, with and without residual.</summary>
    public static readonly int[] EffNetRepeats = { 1, 2, 2, 2, 2, 1 };

    /// <summary>The fixture's tensors by name; dispose them with <see cref="Dispose"/>.</summary>
    public static Dictionary<string, Tensor> Io(string name) =>
        Safetensors.Read(PathOf(name + ".io.safetensors")).ToDictionary(p => p.Name, p => p.Tensor);

    public static void Dispose(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        using var d = (a - b).abs().max();
        return d.item<float>();
    }
}
