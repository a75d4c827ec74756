using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Models;

/// <summary>
/// Built-in models call their submodules with <c>call</c>, as PyTorch's <c>module(x)</c> does, so
/// forward hooks registered on any submodule fire during the model's forward (<c>forward</c> skips them).
/// </summary>
public sealed class ModuleHookTests
{
    static ModuleHookTests() => torch.set_num_threads(1);

    private static VitOptions TinyVit() => new()
    {
        Name = "tiny-test",
        ImageSize = 16,
        PatchSize = 4,
        InChannels = 3,
        EmbedDim = 32,
        Depth = 2,
        Heads = 4,
        MlpRatio = 2,
    };

    public static IEnumerable<object[]> Models() => new[]
    {
        new object[] { "vit", "blocks.1.mlp" },
        new object[] { "vit", "blocks.0.attn" },
        new object[] { "vit", "patch_embed" },
        new object[] { "vit", "head" },
        new object[] { "resnet", "layer3" },
        new object[] { "resnet", "fc" },
        new object[] { "resnet", "layer2.0.downsample" },
        new object[] { "resnet", "layer2.0.conv1" },
        new object[] { "mobilenet_v2", "features.1.conv" },
        new object[] { "efficientnet_v2", "blocks.3.0.se" },
        new object[] { "mobilenet_v2", "features" },
        new object[] { "mobilenet_v2", "classifier" },
        new object[] { "efficientnet_v2", "blocks" },
        new object[] { "efficientnet_v2", "conv_head" },
        new object[] { "cnn_small", "features" },
        new object[] { "cnn_small", "head" },
    };

    private static (nn.Module<Tensor, Tensor> Model, Tensor Input) Build(string name) => name switch
    {
        "vit" => (new VisionTransformer(TinyVit().Spec, numClasses: 5), randn(2, 3, 16, 16)),
        "resnet" => (new ResNet(4, imageNetStem: false, 1, 5), randn(2, 1, 28, 28)),
        "mobilenet_v2" => (new MobileNetV2(0.25, imageNetStem: false, 1, 5), randn(2, 1, 28, 28)),
        "efficientnet_v2" => (new EfficientNetV2(0.25, imageNetStem: false, 1, 5), randn(2, 1, 28, 28)),
        "cnn_small" => (new SmallCnn(4, 1, 5), randn(2, 1, 28, 28)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void ForwardHookOnASubmodule_FiresDuringTheModelsForward(string model, string submodule)
    {
        torch.manual_seed(0);
        var (net, x) = Build(model);
        using var _net = net;
        using var _x = x;
        net.eval();
        var target = (nn.Module<Tensor, Tensor>)net.named_modules().Single(m => m.name == submodule).module;
        int fired = 0;
        long[]? seenShape = null;
        var handle = target.register_forward_hook((module, input, output) =>
        {
            fired++;
            seenShape = output.shape;
            return output;
        });

        using var _ = no_grad();
        using var logits = net.forward(x);
        handle.remove();

        Assert.Equal(1, fired);
        Assert.NotNull(seenShape);
        Assert.Equal(new long[] { 2, 5 }, logits.shape);
    }

    [Fact]
    public void ForwardHookOnEveryBlockMlp_SeesWhatTheBlockAdds()
    {
        // A hook that changes the MLP's output changes the model's: the hook's return value is used.
        torch.manual_seed(0);
        using var vit = new VisionTransformer(TinyVit().Spec, numClasses: 5);
        vit.eval();
        using var x = randn(2, 3, 16, 16);
        using var _ = no_grad();
        vit.SetMlpAlphas(new[] { 0.0, 0.0 });
        using var pruned = vit.forward(x);
        vit.SetMlpAlphas(new[] { 1.0, 1.0 });
        using var plain = vit.forward(x);

        var handles = vit.Blocks.Select(b => b.MlpBranch.register_forward_hook((module, input, output) => zeros_like(output))).ToList();
        using var hooked = vit.forward(x);
        foreach (var h in handles) h.remove();

        Assert.False(plain.allclose(pruned));
        Assert.True(hooked.allclose(pruned, rtol: 0, atol: 1e-6));
    }
}
