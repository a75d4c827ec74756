using System;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Models;

public static class ModelFactory
{
    /// <summary>Builds the student a recipe names; every student also implements <see cref="IFeatureModel"/>.</summary>
    public static nn.Module<Tensor, Tensor> CreateStudent(StudentOptions o, int inChannels, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(o);
        return o switch {
            SmallCnnOptions cnn => new SmallCnn(cnn, inChannels, numClasses),
            ResNetOptions resnet => new ResNet(resnet, StudentChannels(o, inChannels), numClasses),
            MobileNetV2Options mobile => new MobileNetV2(mobile, StudentChannels(o, inChannels), numClasses),
            EfficientNetV2Options effnet => new EfficientNetV2(effnet, StudentChannels(o, inChannels), numClasses),
            _ => throw new NotSupportedException(
                $"Student type '{o.GetType().Name}' is not supported; known students: {nameof(SmallCnnOptions)}, {nameof(ResNetOptions)}, {nameof(MobileNetV2Options)}, {nameof(EfficientNetV2Options)}."),
        };
    }

    /// <summary>
    /// Input channels the student's first layer takes: an ImageNet stem always takes RGB (so
    /// ImageNet checkpoints load; grayscale is repeated), a small stem the data's own channels.
    /// </summary>
    public static int StudentChannels(StudentOptions o, int dataChannels) => o switch {
        ResNetOptions { Stem: StemKind.ImageNet } or MobileNetV2Options { Stem: StemKind.ImageNet }
            or EfficientNetV2Options { Stem: StemKind.ImageNet } => 3,
        _ => dataChannels,
    };
}
