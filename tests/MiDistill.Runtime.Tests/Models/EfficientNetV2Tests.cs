using System;
using System.Linq;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Models;

public sealed class EfficientNetV2Tests
{
    static EfficientNetV2Tests() => torch.set_num_threads(1);

    [Fact]
    public void Width1_ImageNet_HasTimmsB0ParameterCountAndKeys()
    {
        using var net = new EfficientNetV2(1.0, imageNetStem: true, 3, 1000);
        // timm's tf_efficientnetv2_b0 (1000 classes): 7,139,704 parameters, 420 state-dict entries.
        Assert.Equal(7_139_704L, net.parameters().Sum(p => p.numel()));
        var sd = net.state_dict();
        Assert.Equal(420, sd.Count);
        Assert.Equal(new long[] { 32, 3, 3, 3 }, sd["conv_stem.weight"].shape);
        Assert.Equal(new long[] { 16, 32, 3, 3 }, sd["blocks.0.0.conv.weight"].shape);
        Assert.Equal(new long[] { 128, 32, 3, 3 }, sd["blocks.2.0.conv_exp.weight"].shape);
        Assert.Equal(new long[] { 48, 128, 1, 1 }, sd["blocks.2.0.conv_pwl.weight"].shape);
        // SE reduces from the block input: 192 x 0.25 = 48 of the 1152 expanded channels.
        Assert.Equal(new long[] { 48, 1152, 1, 1 }, sd["blocks.5.7.se.conv_reduce.weight"].shape);
        Assert.Equal(new long[] { 1152, 1, 3, 3 }, sd["blocks.5.7.conv_dw.weight"].shape);
        Assert.Equal(new long[] { 192 }, sd["blocks.5.7.bn3.running_var"].shape);
        Assert.Equal(new long[] { 1280, 192, 1, 1 }, sd["conv_head.weight"].shape);
        Assert.Equal(new long[] { 1000, 1280 }, sd["classifier.weight"].shape);
        Assert.Equal(1280, net.FeatureDim);
        Assert.Equal(new[] { 1, 2, 2, 3, 5, 8 }, EfficientNetV2.B0Repeats);
    }

    [Theory]
    [InlineData(StemKind.Small, 1, 28)]
    [InlineData(StemKind.ImageNet, 3, 64)]
    public void Forward_GivesLogitsAndFeatures(StemKind stem, int channels, int size)
    {
        using var net = new EfficientNetV2(0.5, imageNetStem: stem == StemKind.ImageNet, channels, 10);
        net.eval();
        using var _ = no_grad();
        using var x = randn(2, channels, size, size);
        using var logits = net.forward(x);
        using var features = net.forward_features(x);
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        Assert.Equal(new long[] { 2, net.FeatureDim }, features.shape);
        Assert.Equal(640, net.FeatureDim); // round_channels(1280 x 0.5)
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Fact]
    public void Options_build_it_ImageNetStemTakesRgb()
    {
        Assert.Equal(3, new EfficientNetV2Options(1.0, StemKind.ImageNet).InputChannels(1));
        Assert.Equal(1, new EfficientNetV2Options(1.0, StemKind.Small).InputChannels(1));
        using var student = new EfficientNetV2Options(0.25, StemKind.Small).Create(1, 10);
        Assert.IsType<EfficientNetV2>(student);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EfficientNetV2(0, imageNetStem: false, 1, 10));
        Assert.Throws<ArgumentException>(() => new EfficientNetV2(1, imageNetStem: false, 1, 10, new[] { 1, 2, 3 }));
    }
}
