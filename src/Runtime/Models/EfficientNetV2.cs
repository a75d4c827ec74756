using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MiDistill.Runtime.Models;

/// <summary>
/// EfficientNetV2-B0 with timm's module names (<c>conv_stem</c>, <c>bn1</c>,
/// <c>blocks.S.B.*</c>, <c>conv_head</c>, <c>bn2</c>, <c>classifier</c>), built as timm's
/// <c>_gen_efficientnetv2_base</c> decodes its architecture: a ConvBnAct stage, two FusedMBConv
/// (EdgeResidual) stages, three MBConv (InvertedResidual) stages with squeeze-excitation, SiLU
/// everywhere. Channels are rounded as timm's <c>round_channels(round_limit=0)</c>, block
/// expansions as <c>make_divisible</c>. Non-tf defaults: symmetric padding, BatchNorm eps 1e-5 and
/// momentum 0.1, no drop path, no dropout before the classifier. The small stem makes
/// <c>conv_stem</c> stride 1 (28x28 inputs end at 2x2, not 1x1).
/// </summary>
public sealed class EfficientNetV2 : Module<Tensor, Tensor>, MiDistill.Runtime.Checkpoints.ICheckpointLayout, IOnnxExportable
{
    /// <summary>The classifier is `classifier`: replaced when a checkpoint has another class count.</summary>
    public MiDistill.Runtime.Checkpoints.LoadRules LoadRules { get; } = MiDistill.Runtime.Checkpoints.ModelCheckpoints.Cnn("classifier.");

    /// <summary>One stage of the decoded B0 arch_def.</summary>
    private sealed record Stage(BlockKind Kind, int Repeats, int Kernel, int Stride, double Expansion, int Channels, double SeRatio);

    private enum BlockKind { ConvBnAct, Edge, Inverted }

    // timm: 'cn_r1_k3_s1_e1_c16_skip', 'er_r2_k3_s2_e4_c32', 'er_r2_k3_s2_e4_c48',
    // 'ir_r3_k3_s2_e4_c96_se0.25', 'ir_r5_k3_s1_e6_c112_se0.25', 'ir_r8_k3_s2_e6_c192_se0.25'.
    private static readonly Stage[] B0 =
    {
        new(BlockKind.ConvBnAct, 1, 3, 1, 1, 16, 0),
        new(BlockKind.Edge, 2, 3, 2, 4, 32, 0),
        new(BlockKind.Edge, 2, 3, 2, 4, 48, 0),
        new(BlockKind.Inverted, 3, 3, 2, 4, 96, 0.25),
        new(BlockKind.Inverted, 5, 3, 1, 6, 112, 0.25),
        new(BlockKind.Inverted, 8, 3, 2, 6, 192, 0.25),
    };

    /// <summary>Blocks per stage of EfficientNetV2-B0 (timm's depth multiplier 1.0).</summary>
    public static IReadOnlyList<int> B0Repeats { get; } = B0.Select(s => s.Repeats).ToArray();

    private readonly Conv2d conv_stem;
    private readonly BatchNorm2d bn1;
    private readonly Sequential blocks;
    private readonly Conv2d conv_head;
    private readonly BatchNorm2d bn2;
    private readonly Linear classifier;

    /// <param name="stageRepeats">Blocks per stage; null is B0's (1, 2, 2, 3, 5, 8). Smaller counts keep the same block types (tests).</param>
    /// <param name="widthMultiplier">Channel multiplier (timm's EfficientNetV2-B0: 1.0).</param>
    /// <param name="imageNetStem">timm's stride-2 stem rather than a stride-1 stem for small images.</param>
    public EfficientNetV2(double widthMultiplier, bool imageNetStem, int inChannels, int numClasses, IReadOnlyList<int>? stageRepeats = null)
        : base(nameof(EfficientNetV2))
    {
        if (!(widthMultiplier > 0)) throw new ArgumentOutOfRangeException(nameof(widthMultiplier), widthMultiplier, "EfficientNetV2 width multiplier must be positive.");
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "inChannels must be >= 1.");
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A head needs at least one class.");
        var repeats = stageRepeats ?? B0Repeats;
        if (repeats.Count != B0.Length || repeats.Any(r => r < 1))
            throw new ArgumentException($"EfficientNetV2 needs {B0.Length} stage repeat counts, each >= 1.", nameof(stageRepeats));

        double wm = widthMultiplier;
        int RoundChannels(int c) => MobileNetV2.MakeDivisible(c * wm, roundLimit: 0);
        int channels = RoundChannels(32);
        conv_stem = Conv2d(inChannels, channels, kernel_size: 3, stride: imageNetStem ? 2 : 1, padding: 1, bias: false);
        bn1 = BatchNorm2d(channels);
        var stages = new List<Module<Tensor, Tensor>>();
        for (int i = 0; i < B0.Length; i++) {
            var s = B0[i];
            int output = RoundChannels(s.Channels);
            var stage = new List<Module<Tensor, Tensor>>();
            for (int j = 0; j < repeats[i]; j++) {
                int stride = j == 0 ? s.Stride : 1;
                stage.Add(s.Kind switch {
                    BlockKind.ConvBnAct => new ConvBnActBlock(channels, output, s.Kernel, stride, skip: true),
                    BlockKind.Edge => new EdgeResidualBlock(channels, output, s.Kernel, stride, s.Expansion),
                    _ => new InvertedResidualSeBlock(channels, output, s.Kernel, stride, s.Expansion, s.SeRatio),
                });
                channels = output;
            }
            stages.Add(Sequential(stage));
        }
        blocks = Sequential(stages);
        int features = RoundChannels(1280);
        conv_head = Conv2d(channels, features, kernel_size: 1, bias: false);
        bn2 = BatchNorm2d(features);
        classifier = Linear(features, numClasses);
        FeatureDim = features;
        RegisterComponents();
        InitWeights();
    }

    public int FeatureDim { get; }

    public Tensor forward_features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.silu(bn1.call(conv_stem.call(x)));
        h = blocks.call(h);
        h = functional.silu(bn2.call(conv_head.call(h)));
        return functional.adaptive_avg_pool2d(h, new long[] { 1, 1 }).flatten(1).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        using var f = forward_features(x);
        return classifier.call(f);
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        x = graph.Silu(graph.Call(bn1, graph.Call(conv_stem, x, "conv_stem"), "bn1"));
        x = graph.Call(blocks, x, "blocks");
        x = graph.Silu(graph.Call(bn2, graph.Call(conv_head, x, "conv_head"), "bn2"));
        x = graph.Flatten(graph.GlobalAveragePool(x));
        return graph.Call(classifier, x, "classifier");
    }

    // As timm's efficientnet_init_weights (_init_weight_goog): conv N(0, 2 / fan_out) with
    // fan_out = k*k*out / groups, zero conv biases, BN 1/0, Linear U(+-1/sqrt(out)) with zero bias.
    private void InitWeights()
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules()) {
            switch (module) {
            case Conv2d conv: {
                var w = conv.weight!;
                long fanOut = w.shape[0] * w.shape[2] * w.shape[3] / conv.groups;
                w.normal_(0, Math.Sqrt(2.0 / fanOut));
                if (conv.bias is not null) nn.init.zeros_(conv.bias);
                break;
            }
            case BatchNorm2d bn:
                nn.init.ones_(bn.weight);
                nn.init.zeros_(bn.bias);
                break;
            case Linear linear: {
                double range = 1.0 / Math.Sqrt(linear.weight!.shape[0]);
                linear.weight.uniform_(-range, range);
                if (linear.bias is not null) nn.init.zeros_(linear.bias);
                break;
            }
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            conv_stem.Dispose(); bn1.Dispose(); blocks.Dispose();
            conv_head.Dispose(); bn2.Dispose(); classifier.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>timm's ConvBnAct ('cn'): <c>conv</c>, <c>bn1</c> + SiLU, a skip when asked and the shape allows.</summary>
public sealed class ConvBnActBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn1;
    private readonly bool hasSkip;

    public ConvBnActBlock(int inChannels, int outChannels, int kernel, int stride, bool skip) : base(nameof(ConvBnActBlock))
    {
        hasSkip = skip && stride == 1 && inChannels == outChannels;
        conv = Conv2d(inChannels, outChannels, kernel_size: kernel, stride: stride, padding: (kernel - 1) / 2, bias: false);
        bn1 = BatchNorm2d(outChannels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.silu(bn1.call(conv.call(x)));
        if (hasSkip) h = h.add_(x);
        return h.MoveToOuterDisposeScope();
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        var h = graph.Silu(graph.Call(bn1, graph.Call(conv, x, "conv"), "bn1"));
        return hasSkip ? graph.Add(h, x) : h;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { conv.Dispose(); bn1.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>
/// timm's EdgeResidual ('er', FusedMBConv): <c>conv_exp</c> kxk with the stride, <c>bn1</c> + SiLU,
/// <c>conv_pwl</c> 1x1, <c>bn2</c>; residual when the shape allows.
/// </summary>
public sealed class EdgeResidualBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv_exp;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv_pwl;
    private readonly BatchNorm2d bn2;
    private readonly bool hasSkip;

    public EdgeResidualBlock(int inChannels, int outChannels, int kernel, int stride, double expansion) : base(nameof(EdgeResidualBlock))
    {
        int mid = MobileNetV2.MakeDivisible(inChannels * expansion);
        hasSkip = stride == 1 && inChannels == outChannels;
        conv_exp = Conv2d(inChannels, mid, kernel_size: kernel, stride: stride, padding: (kernel - 1) / 2, bias: false);
        bn1 = BatchNorm2d(mid);
        conv_pwl = Conv2d(mid, outChannels, kernel_size: 1, bias: false);
        bn2 = BatchNorm2d(outChannels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.silu(bn1.call(conv_exp.call(x)));
        h = bn2.call(conv_pwl.call(h));
        if (hasSkip) h = h.add_(x);
        return h.MoveToOuterDisposeScope();
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        var h = graph.Silu(graph.Call(bn1, graph.Call(conv_exp, x, "conv_exp"), "bn1"));
        h = graph.Call(bn2, graph.Call(conv_pwl, h, "conv_pwl"), "bn2");
        return hasSkip ? graph.Add(h, x) : h;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { conv_exp.Dispose(); bn1.Dispose(); conv_pwl.Dispose(); bn2.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>
/// timm's InvertedResidual ('ir', MBConv) with squeeze-excitation: <c>conv_pw</c> 1x1, <c>bn1</c> +
/// SiLU, <c>conv_dw</c> kxk depthwise with the stride, <c>bn2</c> + SiLU, <c>se</c>, <c>conv_pwl</c>
/// 1x1, <c>bn3</c>; residual when the shape allows.
/// </summary>
public sealed class InvertedResidualSeBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv_pw;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv_dw;
    private readonly BatchNorm2d bn2;
    private readonly SqueezeExcite se;
    private readonly Conv2d conv_pwl;
    private readonly BatchNorm2d bn3;
    private readonly bool hasSkip;

    public InvertedResidualSeBlock(int inChannels, int outChannels, int kernel, int stride, double expansion, double seRatio)
        : base(nameof(InvertedResidualSeBlock))
    {
        int mid = MobileNetV2.MakeDivisible(inChannels * expansion);
        hasSkip = stride == 1 && inChannels == outChannels;
        conv_pw = Conv2d(inChannels, mid, kernel_size: 1, bias: false);
        bn1 = BatchNorm2d(mid);
        conv_dw = Conv2d(mid, mid, kernel_size: kernel, stride: stride, padding: (kernel - 1) / 2, groups: mid, bias: false);
        bn2 = BatchNorm2d(mid);
        // timm reduces from the block input (se_from_exp False): the ratio is divided by the
        // expansion and applied to the expanded channels; Python's round is banker's, as Math.Round.
        se = new SqueezeExcite(mid, (int)Math.Round(mid * (seRatio / expansion)));
        conv_pwl = Conv2d(mid, outChannels, kernel_size: 1, bias: false);
        bn3 = BatchNorm2d(outChannels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.silu(bn1.call(conv_pw.call(x)));
        h = functional.silu(bn2.call(conv_dw.call(h)));
        h = se.call(h);
        h = bn3.call(conv_pwl.call(h));
        if (hasSkip) h = h.add_(x);
        return h.MoveToOuterDisposeScope();
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        var h = graph.Silu(graph.Call(bn1, graph.Call(conv_pw, x, "conv_pw"), "bn1"));
        h = graph.Silu(graph.Call(bn2, graph.Call(conv_dw, h, "conv_dw"), "bn2"));
        h = graph.Call(se, h, "se");
        h = graph.Call(bn3, graph.Call(conv_pwl, h, "conv_pwl"), "bn3");
        return hasSkip ? graph.Add(h, x) : h;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { conv_pw.Dispose(); bn1.Dispose(); conv_dw.Dispose(); bn2.Dispose(); se.Dispose(); conv_pwl.Dispose(); bn3.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>timm's SqueezeExcite: global mean, <c>conv_reduce</c> (bias) + SiLU, <c>conv_expand</c> (bias), sigmoid gate.</summary>
public sealed class SqueezeExcite : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv_reduce;
    private readonly Conv2d conv_expand;

    public SqueezeExcite(int channels, int reduced) : base(nameof(SqueezeExcite))
    {
        if (reduced < 1) throw new ArgumentOutOfRangeException(nameof(reduced), reduced, "Squeeze-excitation needs at least one reduced channel.");
        conv_reduce = Conv2d(channels, reduced, kernel_size: 1, bias: true);
        conv_expand = Conv2d(reduced, channels, kernel_size: 1, bias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var s = x.mean(new long[] { 2, 3 }, keepdim: true);
        s = conv_expand.call(functional.silu(conv_reduce.call(s)));
        return x.mul(s.sigmoid()).MoveToOuterDisposeScope();
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x) =>
        graph.SqueezeExcite(conv_reduce, conv_expand, graph.Silu, x);

    protected override void Dispose(bool disposing)
    {
        if (disposing) { conv_reduce.Dispose(); conv_expand.Dispose(); }
        base.Dispose(disposing);
    }
}
