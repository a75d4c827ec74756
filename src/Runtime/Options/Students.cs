using MiDistill.Runtime.Models;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Options;

/// <summary>
/// A student architecture. A user's own student is a record deriving from this one with
/// <see cref="RecipeFormAttribute"/>; its model may implement <see cref="Checkpoints.ICheckpointLayout"/>
/// (for loading checkpoints whose head differs).
/// </summary>
[RecipeChoice("student")]
public abstract record StudentOptions
{
    /// <summary>A freshly initialised model taking <paramref name="inChannels"/> (see <see cref="InputChannels"/>) and predicting <paramref name="numClasses"/> logits.</summary>
    public abstract nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses);

    /// <summary>Input channels the first layer takes given the data's: an ImageNet stem always takes RGB (grayscale is repeated).</summary>
    public virtual int InputChannels(int dataChannels) => dataChannels;
}

/// <summary>The first layers of a CNN student: sized for small grayscale images or for ImageNet.</summary>
public enum StemKind
{
    /// <summary>3x3 stride-1 first convolution and no early pooling: keeps a 28x28 image's detail.</summary>
    [RecipeName("small", "3x3 stride-1 first convolution, no early pooling; input channels follow the data (28x28 grayscale).")]
    Small,
    /// <summary>The architecture's ImageNet stem (e.g. ResNet's 7x7 stride-2 conv and max-pool); 3 input channels, so ImageNet checkpoints load.</summary>
    [RecipeName("imagenet", "The architecture's ImageNet stem on 3 channels (grayscale is repeated), so ImageNet checkpoints load.")]
    ImageNet,
}

public static class StemKindExtensions
{
    /// <summary>An ImageNet stem takes RGB (grayscale is repeated) so ImageNet checkpoints load; a small stem the data's own channels.</summary>
    public static int InputChannels(this StemKind stem, int dataChannels) => stem == StemKind.ImageNet ? 3 : dataChannels;
}

/// <summary>A small CNN (conv-bn-relu stages); <see cref="Width"/> channels in the first stage.</summary>
[RecipeForm("cnn_small", "A small CNN: three stages of two 3x3 conv-BN-ReLU of widths w, 2w, 3w, global pooling, linear head.")]
public sealed record SmallCnnOptions(
    [RecipeArg(Doc = "channels of the first stage", Min = 4, Max = 256)] int Width = 16) : StudentOptions
{
    public override nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses) => new SmallCnn(Width, inChannels, numClasses);
}

/// <summary>torchvision's ResNet-18 (BasicBlock, [2, 2, 2, 2]); <see cref="Width"/> channels in layer1 (torchvision: 64).</summary>
[RecipeForm("resnet18", "ResNet-18 (torchvision names): BasicBlock stages [2, 2, 2, 2] of width w, 2w, 4w, 8w.")]
public sealed record ResNetOptions(
    [RecipeArg(Doc = "channels of layer1 (torchvision's ResNet-18: 64)", Min = 4, Max = 256)] int Width = 16,
    [RecipeArg(Doc = "input stem")] StemKind Stem = StemKind.Small) : StudentOptions
{
    public override nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses) => new ResNet(Width, Stem == StemKind.ImageNet, inChannels, numClasses);
    public override int InputChannels(int dataChannels) => Stem.InputChannels(dataChannels);
}

/// <summary>torchvision's MobileNetV2 with a width multiplier (torchvision: 1.0).</summary>
[RecipeForm("mobilenet_v2", "MobileNetV2 (torchvision names) with a width multiplier.")]
public sealed record MobileNetV2Options(
    [RecipeArg("width", Doc = "width multiplier (torchvision's MobileNetV2: 1.0)", Min = 0.1, Max = 4)] double WidthMultiplier = 0.5,
    [RecipeArg(Doc = "input stem")] StemKind Stem = StemKind.Small) : StudentOptions
{
    public override nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses) => new MobileNetV2(WidthMultiplier, Stem == StemKind.ImageNet, inChannels, numClasses);
    public override int InputChannels(int dataChannels) => Stem.InputChannels(dataChannels);
}

/// <summary>
/// EfficientNetV2-B0 in timm's layout (<c>_gen_efficientnetv2_base</c>: FusedMBConv then MBConv
/// with squeeze-excitation, SiLU) with a channel multiplier (timm's B0: 1.0).
/// </summary>
[RecipeForm("efficientnetv2_b0", "EfficientNetV2-B0 (timm names): FusedMBConv then MBConv stages with squeeze-excitation, SiLU, with a channel multiplier.")]
public sealed record EfficientNetV2Options(
    [RecipeArg("width", Doc = "channel multiplier (timm's EfficientNetV2-B0: 1.0)", Min = 0.1, Max = 4)] double WidthMultiplier = 0.5,
    [RecipeArg(Doc = "input stem")] StemKind Stem = StemKind.Small) : StudentOptions
{
    public override nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses) => new EfficientNetV2(WidthMultiplier, Stem == StemKind.ImageNet, inChannels, numClasses);
    public override int InputChannels(int dataChannels) => Stem.InputChannels(dataChannels);
}
