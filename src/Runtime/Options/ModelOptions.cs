namespace MiDistill.Runtime.Options;

// Options of the production students and of where model weights come from (issue #3). Kept apart
// from ExperimentOptions.cs so parallel work on the pipeline's records merges cleanly.

/// <summary>The first layers of a CNN student: sized for small grayscale images or for ImageNet.</summary>
public enum StemKind
{
    /// <summary>3x3 stride-1 first convolution and no early pooling: keeps a 28x28 image's detail.</summary>
    Small,
    /// <summary>The architecture's ImageNet stem (e.g. ResNet's 7x7 stride-2 conv and max-pool); 3 input channels, so ImageNet checkpoints load.</summary>
    ImageNet,
}

/// <summary>torchvision's ResNet-18 (BasicBlock, [2, 2, 2, 2]); <see cref="Width"/> channels in layer1 (torchvision: 64).</summary>
public sealed record ResNetOptions(int Width, StemKind Stem) : StudentOptions;

/// <summary>torchvision's MobileNetV2 with a width multiplier (torchvision: 1.0).</summary>
public sealed record MobileNetV2Options(double WidthMultiplier, StemKind Stem) : StudentOptions;

/// <summary>
/// EfficientNetV2-B0 in timm's layout (<c>_gen_efficientnetv2_base</c>: FusedMBConv then MBConv
/// with squeeze-excitation, SiLU) with a channel multiplier (timm's B0: 1.0).
/// </summary>
public sealed record EfficientNetV2Options(double WidthMultiplier, StemKind Stem) : StudentOptions;

/// <summary>Where a model's initial weights come from.</summary>
public abstract record WeightsOptions;

/// <summary>Teacher: the weights the recipe's <c>pretrain</c> stage produces.</summary>
public sealed record PretrainStageWeights : WeightsOptions;

/// <summary>Student: a fresh random initialisation.</summary>
public sealed record RandomWeights : WeightsOptions;

/// <summary>
/// A state dict file (.safetensors, or a zip-format torch.save .pth/.bin) with the architecture's
/// PyTorch parameter names; <see cref="Normalize"/> is the input normalisation it was trained with.
/// </summary>
public sealed record CheckpointWeights(string Path, Normalization Normalize) : WeightsOptions;

/// <summary>Per-channel input normalisation a pretrained model expects.</summary>
public enum Normalization
{
    /// <summary>The dataset's own statistics (Fashion-MNIST: mean 0.2860, std 0.3530), as models trained here.</summary>
    Dataset,
    /// <summary>mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225): torchvision models, timm CNNs.</summary>
    ImageNet,
    /// <summary>mean 0.5, std 0.5 per channel: timm's ViT checkpoints (augreg and most others).</summary>
    Inception,
}
