using System;
using System.Collections.Generic;
using MiDistill.Runtime.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MiDistill.Runtime.Models;

/// <summary>
/// MobileNetV2 with torchvision's module names (<c>features.N</c>, <c>classifier.1</c>) and its
/// channel rounding (<c>_make_divisible</c> to multiples of 8), so torchvision state dicts load by
/// name. The small stem makes the first convolution stride 1 (28x28 inputs end at 2x2, not 1x1).
/// </summary>
public sealed class MobileNetV2 : Module<Tensor, Tensor>, MiDistill.Runtime.Checkpoints.ICheckpointLayout, IOnnxExportable
{
    /// <summary>The classifier is `classifier`: replaced when a checkpoint has another class count.</summary>
    public MiDistill.Runtime.Checkpoints.LoadRules LoadRules { get; } = MiDistill.Runtime.Checkpoints.ModelCheckpoints.Cnn("classifier.");

    // (expansion t, channels c, repeats n, first stride s), as torchvision.
    private static readonly int[][] Settings =
    {
        new[] { 1, 16, 1, 1 }, new[] { 6, 24, 2, 2 }, new[] { 6, 32, 3, 2 }, new[] { 6, 64, 4, 2 },
        new[] { 6, 96, 3, 1 }, new[] { 6, 160, 3, 2 }, new[] { 6, 320, 1, 1 },
    };

    private readonly Sequential features;
    private readonly Sequential classifier;

    /// <param name="widthMultiplier">torchvision's width multiplier (1.0 for MobileNetV2 itself).</param>
    /// <param name="imageNetStem">torchvision's stride-2 stem rather than a stride-1 stem for small images.</param>
    public MobileNetV2(double widthMultiplier, bool imageNetStem, int inChannels, int numClasses) : base(nameof(MobileNetV2))
    {
        if (!(widthMultiplier > 0)) throw new ArgumentOutOfRangeException(nameof(widthMultiplier), widthMultiplier, "MobileNetV2 width multiplier must be positive.");
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "inChannels must be >= 1.");
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A head needs at least one class.");
        double wm = widthMultiplier;
        int input = MakeDivisible(32 * wm);
        int last = MakeDivisible(1280 * Math.Max(1.0, wm));
        var layers = new List<Module<Tensor, Tensor>> { ConvBnReLU6(inChannels, input, 3, imageNetStem ? 2 : 1, 1) };
        foreach (var s in Settings) {
            int output = MakeDivisible(s[1] * wm);
            for (int i = 0; i < s[2]; i++) {
                layers.Add(new InvertedResidual(input, output, i == 0 ? s[3] : 1, s[0]));
                input = output;
            }
        }
        layers.Add(ConvBnReLU6(input, last, 1, 1, 1));
        features = Sequential(layers);
        classifier = Sequential(Dropout(0.2), Linear(last, numClasses));
        FeatureDim = last;
        RegisterComponents();
        InitWeights();
    }

    public int FeatureDim { get; }

    public Tensor forward_features(Tensor x)
    {
        using var maps = features.call(x);
        using var pooled = nn.functional.adaptive_avg_pool2d(maps, new long[] { 1, 1 });
        return pooled.flatten(1);
    }

    public override Tensor forward(Tensor x)
    {
        using var f = forward_features(x);
        return classifier.call(f);
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        x = graph.Call(features, x, "features");
        x = graph.Flatten(graph.GlobalAveragePool(x));
        return graph.Call(classifier, x, "classifier");
    }

    /// <summary>
    /// torchvision's <c>_make_divisible(v, 8)</c> (also timm's <c>make_divisible</c>): nearest multiple
    /// of 8, never below <paramref name="roundLimit"/> x v (timm's <c>round_channels</c> for
    /// EfficientNetV2 passes 0).
    /// </summary>
    internal static int MakeDivisible(double v, int divisor = 8, double roundLimit = 0.9)
    {
        int rounded = Math.Max(divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        if (rounded < roundLimit * v) rounded += divisor;
        return rounded;
    }

    /// <summary>torchvision's Conv2dNormActivation: <c>.0</c> conv (no bias), <c>.1</c> BN, <c>.2</c> ReLU6.</summary>
    internal static Sequential ConvBnReLU6(int inChannels, int outChannels, int kernel, int stride, int groups) =>
        Sequential(
            Conv2d(inChannels, outChannels, kernel_size: kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false),
            BatchNorm2d(outChannels),
            ReLU6(inplace: true));

    // As torchvision: He-normal (fan-out) convs, BN 1/0, Linear N(0, 0.01) with zero bias.
    private void InitWeights()
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules()) {
            switch (module) {
            case Conv2d conv:
                nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut);
                if (conv.bias is not null) nn.init.zeros_(conv.bias);
                break;
            case BatchNorm2d bn:
                nn.init.ones_(bn.weight);
                nn.init.zeros_(bn.bias);
                break;
            case Linear linear:
                nn.init.normal_(linear.weight, 0, 0.01);
                if (linear.bias is not null) nn.init.zeros_(linear.bias);
                break;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            features.Dispose();
            classifier.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>torchvision's InvertedResidual: [1x1 expand] -> 3x3 depthwise -> 1x1 linear, residual when shapes allow.</summary>
public sealed class InvertedResidual : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential conv;
    private readonly bool useResidual;

    public InvertedResidual(int inChannels, int outChannels, int stride, int expandRatio) : base(nameof(InvertedResidual))
    {
        int hidden = (int)Math.Round((double)inChannels * expandRatio);
        useResidual = stride == 1 && inChannels == outChannels;
        var layers = new List<Module<Tensor, Tensor>>();
        if (expandRatio != 1) layers.Add(MobileNetV2.ConvBnReLU6(inChannels, hidden, 1, 1, 1));
        layers.Add(MobileNetV2.ConvBnReLU6(hidden, hidden, 3, stride, hidden));
        layers.Add(Conv2d(hidden, outChannels, kernel_size: 1, bias: false));
        layers.Add(BatchNorm2d(outChannels));
        conv = Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!useResidual) return conv.call(x);
        using var y = conv.call(x);
        return x.add(y);
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        var y = graph.Call(conv, x, "conv");
        return useResidual ? graph.Add(x, y) : y;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) conv.Dispose();
        base.Dispose(disposing);
    }
}
