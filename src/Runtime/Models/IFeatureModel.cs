using TorchSharp;

namespace MiDistill.Runtime.Models;

/// <summary>
/// A classifier that also exposes the representation its head reads, so training and
/// distillation code needs no concrete architecture.
/// </summary>
public interface IFeatureModel
{
    /// <summary>Penultimate features [B, F]: what the head reads (for a ViT, the distillation target F_T).</summary>
    torch.Tensor forward_features(torch.Tensor x);
}
