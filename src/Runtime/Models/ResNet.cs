using System;
using System.Collections.Generic;
using MiDistill.Runtime.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MiDistill.Runtime.Models;

/// <summary>
/// ResNet-18 with torchvision's module names (<c>conv1, bn1, layer1..layer4, fc</c>), so torchvision
/// state dicts load by name. The small stem swaps the 7x7 stride-2 conv and max-pool for a 3x3
/// stride-1 conv (the usual CIFAR-style stem), keeping the key <c>conv1.weight</c>.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>, MiDistill.Runtime.Checkpoints.ICheckpointLayout, IOnnxExportable
{
    /// <summary>The classifier is `fc`: replaced when a checkpoint has another class count.</summary>
    public MiDistill.Runtime.Checkpoints.LoadRules LoadRules { get; } = MiDistill.Runtime.Checkpoints.ModelCheckpoints.Cnn("fc.");

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1, layer2, layer3, layer4;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Linear fc;
    private readonly bool useMaxPool;

    /// <param name="width">Channels of layer1 (torchvision's ResNet-18: 64).</param>
    /// <param name="imageNetStem">torchvision's stem (7x7 stride 2 and a max pool) rather than a 3x3 stride-1 stem for small images.</param>
    public ResNet(int width, bool imageNetStem, int inChannels, int numClasses) : base(nameof(ResNet))
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "ResNet width must be >= 1.");
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "inChannels must be >= 1.");
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A head needs at least one class.");
        int w = width;
        useMaxPool = imageNetStem;
        conv1 = useMaxPool
            ? Conv2d(inChannels, w, kernel_size: 7, stride: 2, padding: 3, bias: false)
            : Conv2d(inChannels, w, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn1 = BatchNorm2d(w);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        int channels = w;
        layer1 = MakeLayer(ref channels, w, 1);
        layer2 = MakeLayer(ref channels, 2 * w, 2);
        layer3 = MakeLayer(ref channels, 4 * w, 2);
        layer4 = MakeLayer(ref channels, 8 * w, 2);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(channels, numClasses);
        FeatureDim = channels;
        RegisterComponents();
        InitWeights();
    }

    public int FeatureDim { get; }

    public Tensor forward_features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = relu.call(bn1.call(conv1.call(x)));
        if (useMaxPool) h = maxpool.call(h);
        h = layer4.call(layer3.call(layer2.call(layer1.call(h))));
        return avgpool.call(h).flatten(1).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        using var f = forward_features(x);
        return fc.call(f);
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        x = graph.Relu(graph.Call(bn1, graph.Call(conv1, x, "conv1"), "bn1"));
        if (useMaxPool) x = graph.Call(maxpool, x, "maxpool");
        x = graph.Call(layer1, x, "layer1");
        x = graph.Call(layer2, x, "layer2");
        x = graph.Call(layer3, x, "layer3");
        x = graph.Call(layer4, x, "layer4");
        x = graph.Flatten(graph.GlobalAveragePool(x));
        return graph.Call(fc, x, "fc");
    }

    private static Sequential MakeLayer(ref int inChannels, int channels, int stride)
    {
        var blocks = new List<Module<Tensor, Tensor>> { new BasicBlock(inChannels, channels, stride), new BasicBlock(channels, channels, 1) };
        inChannels = channels;
        return Sequential(blocks);
    }

    // As torchvision: He-normal (fan-out) convolutions, BN 1/0, the head keeps PyTorch's default.
    private void InitWeights()
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules()) {
            switch (module) {
            case Conv2d conv:
                nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                break;
            case BatchNorm2d bn:
                nn.init.ones_(bn.weight);
                nn.init.zeros_(bn.bias);
                break;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            conv1.Dispose(); bn1.Dispose(); relu.Dispose(); maxpool.Dispose();
            layer1.Dispose(); layer2.Dispose(); layer3.Dispose(); layer4.Dispose();
            avgpool.Dispose(); fc.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>torchvision's BasicBlock: two 3x3 conv-BN, a projection shortcut (<c>downsample.0/.1</c>) when the shape changes.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public BasicBlock(int inChannels, int channels, int stride) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inChannels, channels, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(channels);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(channels, channels, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(channels);
        if (stride != 1 || inChannels != channels)
            downsample = Sequential(Conv2d(inChannels, channels, kernel_size: 1, stride: stride, bias: false), BatchNorm2d(channels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = relu.call(bn1.call(conv1.call(x)));
        h = bn2.call(conv2.call(h));
        var identity = downsample is null ? x : downsample.call(x);
        return relu.call(h.add_(identity)).MoveToOuterDisposeScope();
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        var h = graph.Relu(graph.Call(bn1, graph.Call(conv1, x, "conv1"), "bn1"));
        h = graph.Call(bn2, graph.Call(conv2, h, "conv2"), "bn2");
        var identity = downsample is null ? x : graph.Call(downsample, x, "downsample");
        return graph.Relu(graph.Add(h, identity));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            conv1.Dispose(); bn1.Dispose(); relu.Dispose(); conv2.Dispose(); bn2.Dispose(); downsample?.Dispose();
        }
        base.Dispose(disposing);
    }
}
