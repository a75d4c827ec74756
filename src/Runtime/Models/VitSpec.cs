namespace MiDistill.Runtime.Models;

/// <summary>
/// A Vision Transformer's dimensions in timm's terms (<c>vit_tiny_patch16_224</c>: 224, 16, 3, 192,
/// 12, 3, 4). The model's own small spec, as TorchVision's models take primitives: the recipe
/// vocabulary (<c>Options.VitOptions</c>, with its presets) maps onto it.
/// </summary>
/// <param name="Name">The name in error messages.</param>
public sealed record VitSpec(string Name, int ImageSize, int PatchSize, int InChannels, int EmbedDim, int Depth, int Heads, double MlpRatio);
