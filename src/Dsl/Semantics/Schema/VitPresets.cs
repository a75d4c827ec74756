using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Dsl.Semantics.Schema;

public sealed record VitPreset(string Name, int ImageSize, int PatchSize, int Channels, int EmbedDim, int Depth, int Heads, double MlpRatio, string Doc);

/// <summary>
/// ViT presets. The `_28` ones fit Fashion-MNIST on a CPU (patch 4 on 28x28); the timm names follow
/// timm's definitions (embedding size, depth, heads, MLP ratio 4, class token, final LayerNorm,
/// linear head; checked against timm's vision_transformer.py) for real checkpoints.
/// </summary>
public static class VitPresets
{
    /// <summary>Teachers whose width x depth exceeds this take hours per epoch on a 2-core CPU.</summary>
    public const long LargeForCpu = 1024;

    public static readonly IReadOnlyList<VitPreset> All = new[]
    {
        new VitPreset("micro_28", 28, 7, 1, 32, 2, 2, 2, "for tests: 2 blocks of width 32"),
        new VitPreset("tiny_28", 28, 4, 1, 64, 4, 4, 2, "CPU default: 4 blocks of width 64, 49 patches"),
        new VitPreset("small_28", 28, 4, 1, 128, 6, 4, 4, "6 blocks of width 128"),
        new VitPreset("vit_tiny_patch16_224", 224, 16, 3, 192, 12, 3, 4, "timm ViT-Ti/16"),
        new VitPreset("vit_small_patch16_224", 224, 16, 3, 384, 12, 6, 4, "timm ViT-S/16"),
        new VitPreset("vit_small_patch32_224", 224, 32, 3, 384, 12, 6, 4, "timm ViT-S/32"),
        new VitPreset("vit_base_patch16_224", 224, 16, 3, 768, 12, 12, 4, "timm ViT-B/16"),
        new VitPreset("vit_base_patch32_224", 224, 32, 3, 768, 12, 12, 4, "timm ViT-B/32"),
        new VitPreset("vit_large_patch16_224", 224, 16, 3, 1024, 24, 16, 4, "timm ViT-L/16"),
        new VitPreset("vit_large_patch32_224", 224, 32, 3, 1024, 24, 16, 4, "timm ViT-L/32"),
        new VitPreset("vit_large_patch14_224", 224, 14, 3, 1024, 24, 16, 4, "timm ViT-L/14"),
    };

    public static VitPreset? Find(string name) => All.FirstOrDefault(p => p.Name == name);
}
