using System;
using System.Collections.Generic;
using MiDistill.Runtime.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MiDistill.Runtime.Models;

/// <summary>
/// The small production student: three stages of two conv3x3-BN-ReLU layers with widths
/// W, 2W, 3W, max-pooling between stages, global average pooling and a linear <c>head</c>.
/// </summary>
/// <remarks>
/// Widths grow by W rather than doubling to 4W: at W = 16 that keeps the model near 52k parameters
/// (4W would give about 72k). Global pooling makes any input of at least 16x16 work.
/// Names follow torchvision's VGG-style <c>features.N</c> indexing.
/// </remarks>
public sealed class SmallCnn : Module<Tensor, Tensor>, MiDistill.Runtime.Checkpoints.ICheckpointLayout, IOnnxExportable
{
    /// <summary>The classifier is `head`: replaced when a checkpoint has another class count.</summary>
    public MiDistill.Runtime.Checkpoints.LoadRules LoadRules { get; } = MiDistill.Runtime.Checkpoints.ModelCheckpoints.Cnn("head.");

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d pool;
    private readonly Linear head;

    /// <param name="width">Channels of the first stage.</param>
    public SmallCnn(int width, int inChannels, int numClasses) : base(nameof(SmallCnn))
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "SmallCnn width must be >= 1.");
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "inChannels must be >= 1.");
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A head needs at least one class.");

        int w = width;
        int[] widths = { w, 2 * w, 3 * w };
        var layers = new List<Module<Tensor, Tensor>>();
        int channels = inChannels;
        for (int stage = 0; stage < widths.Length; stage++) {
            if (stage > 0) layers.Add(MaxPool2d(kernel_size: 2, stride: 2));
            for (int conv = 0; conv < 2; conv++) {
                // No conv bias: BatchNorm's shift makes it redundant.
                layers.Add(Conv2d(channels, widths[stage], kernel_size: 3, padding: 1, bias: false));
                layers.Add(BatchNorm2d(widths[stage]));
                layers.Add(ReLU(inplace: true));
                channels = widths[stage];
            }
        }
        features = Sequential(layers);
        pool = AdaptiveAvgPool2d(1);
        head = Linear(channels, numClasses);
        FeatureDim = channels;

        RegisterComponents();
        InitWeights();
    }

    /// <summary>Width of <see cref="forward_features"/>'s output.</summary>
    public int FeatureDim { get; }

    /// <summary>Globally average-pooled features [B, 3W].</summary>
    public Tensor forward_features(Tensor x)
    {
        using var maps = features.call(x);
        using var pooled = pool.call(maps);
        return pooled.flatten(1);
    }

    public override Tensor forward(Tensor x)
    {
        using var f = forward_features(x);
        return head.call(f);
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        x = graph.Call(features, x, "features");
        x = graph.Flatten(graph.GlobalAveragePool(x));
        return graph.Call(head, x, "head");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            features.Dispose();
            pool.Dispose();
            head.Dispose();
        }
        base.Dispose(disposing);
    }

    // As torchvision's ResNet: He-normal (fan-out) convolutions, BN 1/0; the head keeps PyTorch's default.
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
}
