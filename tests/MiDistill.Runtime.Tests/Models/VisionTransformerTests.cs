using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Models;

public sealed class VisionTransformerTests
{
    static VisionTransformerTests() => torch.set_num_threads(1);

    // TorchSharp's Tensor.equal is elementwise; this is PyTorch's torch.equal.
    private static bool ExactlyEqual(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var same = a.eq(b);
        return same.all().item<bool>();
    }

    private static VitOptions Tiny(int depth = 2) => new() {
        Name = "tiny-test",
        ImageSize = 16,
        PatchSize = 4,
        InChannels = 3,
        EmbedDim = 32,
        Depth = depth,
        Heads = 4,
        MlpRatio = 2,
    };

    [Fact]
    public void ParameterNames_AreTimms()
    {
        using var vit = new VisionTransformer(Tiny(depth: 2).Spec, numClasses: 5);

        var expected = new List<string> { "cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias" };
        for (int i = 0; i < 2; i++) {
            foreach (var name in new[] { "norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2" }) {
                expected.Add($"blocks.{i}.{name}.weight");
                expected.Add($"blocks.{i}.{name}.bias");
            }
        }
        expected.AddRange(new[] { "norm.weight", "norm.bias", "head.weight", "head.bias" });

        Assert.Equal(expected, vit.named_parameters().Select(p => p.name).ToList());
    }

    [Fact]
    public void MlpAlpha_IsAPersistentBufferNotAParameter()
    {
        using var vit = new VisionTransformer(Tiny(depth: 2).Spec, numClasses: 5);

        Assert.Equal(new[] { "blocks.0.mlp_alpha", "blocks.0.residual_scale", "blocks.1.mlp_alpha", "blocks.1.residual_scale" }, vit.named_buffers().Select(b => b.name).ToArray());
        Assert.Contains("blocks.1.mlp_alpha", vit.state_dict().Keys);
        Assert.DoesNotContain(vit.named_parameters(), p => p.name.Contains("alpha"));
    }

    [Fact]
    public void ParameterShapes_FollowTheOptions()
    {
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        var shapes = vit.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        Assert.Equal(new long[] { 1, 1, 32 }, shapes["cls_token"]);
        Assert.Equal(new long[] { 1, 1 + 16, 32 }, shapes["pos_embed"]);
        Assert.Equal(new long[] { 32, 3, 4, 4 }, shapes["patch_embed.proj.weight"]);
        Assert.Equal(new long[] { 96, 32 }, shapes["blocks.0.attn.qkv.weight"]);
        Assert.Equal(new long[] { 96 }, shapes["blocks.0.attn.qkv.bias"]);
        Assert.Equal(new long[] { 64, 32 }, shapes["blocks.1.mlp.fc1.weight"]);
        Assert.Equal(new long[] { 5, 32 }, shapes["head.weight"]);
        Assert.Equal(2, vit.Depth);
        Assert.Equal(32, vit.EmbedDim);
    }

    [Fact]
    public void Forward_GivesLogitsAndFeatures()
    {
        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        using var x = randn(3, 3, 16, 16);

        using var logits = vit.forward(x);
        using var features = vit.forward_features(x);

        Assert.Equal(new long[] { 3, 5 }, logits.shape);
        Assert.Equal(new long[] { 3, 32 }, features.shape);
        // Features are post-LayerNorm with weight 1 / bias 0: zero mean per sample.
        Assert.True(features.mean(new long[] { 1 }).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void Forward_RejectsImagesOfAnotherSize()
    {
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        using var x = randn(1, 3, 20, 20);

        var ex = Assert.Throws<ArgumentException>(() => vit.forward(x));
        Assert.Contains("16, 16", ex.Message);
    }

    [Fact]
    public void Init_FollowsTimm()
    {
        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        var p = vit.named_parameters().ToDictionary(n => n.name, n => n.parameter);

        Assert.InRange(p["blocks.0.mlp.fc1.weight"].std().item<float>(), 0.016f, 0.024f);
        Assert.Equal(0f, p["blocks.0.attn.qkv.bias"].abs().max().item<float>());
        Assert.Equal(0f, p["head.bias"].abs().max().item<float>());
        Assert.InRange(p["pos_embed"].std().item<float>(), 0.016f, 0.024f);
        Assert.True(p["cls_token"].abs().max().item<float>() < 1e-5f);
        Assert.True(p["cls_token"].abs().max().item<float>() > 0f);
        Assert.Equal(1f, p["norm.weight"].min().item<float>());
    }

    [Fact]
    public void BlockWithAlphaZero_EqualsTheBlockWithoutItsMlp()
    {
        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        vit.eval();
        vit.SetMlpAlphas(new[] { 1.0, 0.0 });
        var block = vit.Blocks[1];
        using var _ = no_grad();
        using var h = randn(2, 17, 32);

        using var expected = h + block.Attn.call(block.Norm1.call(h));
        using var actual = block.call(h);

        Assert.True(ExactlyEqual(actual, expected), "alpha = 0 must reproduce h' = h + attn(norm1(h)) exactly");
    }

    [Fact]
    public void BlockWithAlphaOne_EqualsThePlainPreNormBlock()
    {
        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        vit.eval();
        var block = vit.Blocks[0];
        using var _ = no_grad();
        using var h = randn(2, 17, 32);

        using var afterAttn = h + block.Attn.call(block.Norm1.call(h));
        using var expected = afterAttn + block.MlpBranch.call(block.Norm2.call(afterAttn));
        using var actual = block.call(h);

        Assert.Equal(1.0, block.MlpAlpha);
        Assert.True(ExactlyEqual(actual, expected), "alpha = 1 must reproduce h' + mlp(norm2(h')) exactly");
    }

    [Fact]
    public void BlockWithFractionalAlpha_ScalesTheMlpBranch()
    {
        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        vit.SetMlpAlphas(new[] { 0.25, 1.0 });
        var block = vit.Blocks[0];
        using var _ = no_grad();
        using var h = randn(2, 17, 32);

        using var afterAttn = h + block.Attn.call(block.Norm1.call(h));
        using var expected = afterAttn + 0.25 * block.MlpBranch.call(block.Norm2.call(afterAttn));
        using var actual = block.call(h);

        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void AlphaZeroInAllBlocks_ChangesTheOutputAndStillTrainsTheRest()
    {
        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        using var x = randn(2, 3, 16, 16);
        using var before = vit.forward(x).detach();

        vit.SetMlpAlphas(new[] { 0.0, 0.0 });
        using var after = vit.forward(x);
        after.sum().backward();

        Assert.False(before.allclose(after));
        var grads = vit.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        Assert.True(grads["blocks.1.attn.qkv.weight"]!.abs().sum().item<float>() > 0);
        // A pruned MLP gets exactly zero gradient: alpha is a constant, not a learned gate.
        Assert.Equal(0f, grads["blocks.1.mlp.fc2.weight"]!.abs().sum().item<float>());
    }

    [Fact]
    public void SetMlpAlphas_RoundTripsAndValidates()
    {
        using var vit = new VisionTransformer(Tiny(depth: 3).Spec, numClasses: 5);

        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, vit.MlpAlphas);
        vit.SetMlpAlphas(new[] { 1.0, 0.5, 0.25 });
        Assert.Equal(new[] { 1.0, 0.5, 0.25 }, vit.MlpAlphas);

        var wrongLength = Assert.Throws<ArgumentException>(() => vit.SetMlpAlphas(new[] { 1.0, 0.5 }));
        Assert.Contains("3", wrongLength.Message);
        Assert.Contains("2", wrongLength.Message);
        var outOfRange = Assert.Throws<ArgumentException>(() => vit.SetMlpAlphas(new[] { 1.0, 1.5, 0.0 }));
        Assert.Contains("block 1", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => vit.SetMlpAlphas(new[] { 1.0, double.NaN, 0.0 }));
        Assert.Equal(new[] { 1.0, 0.5, 0.25 }, vit.MlpAlphas);
    }

    [Fact]
    public void ResidualScale_WeighsTheSkipPathOfTheMlpSubBlock()
    {
        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        vit.SetMlpAlphas(new[] { 0.8, 1.0 });
        vit.SetResidualScales(new[] { 1.2, 1.0 });
        var block = vit.Blocks[0];
        using var _ = no_grad();
        using var h = randn(2, 17, 32);

        using var afterAttn = h + block.Attn.call(block.Norm1.call(h));
        using var expected = 1.2 * afterAttn + 0.8 * block.MlpBranch.call(block.Norm2.call(afterAttn));
        using var actual = block.call(h);

        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-5));
        Assert.Throws<ArgumentException>(() => vit.SetResidualScales(new[] { 0.5, 1.0 }));
    }

    [Fact]
    public void AllBlocksForm_CompoundsToAlphaTimesTwoMinusAlphaToTheBlocksAbove()
    {
        // With attention and every MLP but block l's silenced, the output is (2-a)^(L-1-l) times the
        // skip-free path plus a (2-a)^(L-1-l) MLP_l: the closed form alpha (2 - alpha)^(L - l) of the
        // method, with 1-based l (0-based here, so L-1-l blocks lie above).
        const double a = 0.6;
        var form = new AllBlocksReweight(a, new ConstantReweightSchedule());
        Assert.Equal(new[] { a, a, a }, form.BlockAlphas(3, 0));
        Assert.Equal(new[] { 2 - a, 2 - a, 2 - a }, form.BlockResidualScales(3, 0));
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, new MlpReweight(1, a, new ConstantReweightSchedule()).BlockResidualScales(3, 0));

        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny(depth: 3).Spec, numClasses: 5);
        using var _ = no_grad();
        // No attention writes, and only block 0's MLP does.
        foreach (var (name, parameter) in vit.named_parameters())
            if (name.Contains(".attn.proj.") || (name.Contains(".mlp.fc2.") && !name.StartsWith("blocks.0.")))
                parameter.zero_();
        using var h = randn(2, 17, 32);
        var first = vit.Blocks[0];
        using var mlp0 = first.MlpBranch.call(first.Norm2.call(h));

        vit.SetMlpAlphas(form.BlockAlphas(3, 0));
        vit.SetResidualScales(form.BlockResidualScales(3, 0));
        var x = h.alias();
        foreach (var block in vit.Blocks) x = block.call(x);

        double skip = Math.Pow(2 - a, 3), branch = a * Math.Pow(2 - a, 2);
        using var expected = skip * h + branch * mlp0;
        Assert.True(x.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void MlpAlphas_TravelWithTheStateDict()
    {
        using var source = new VisionTransformer(Tiny().Spec, numClasses: 5);
        source.SetMlpAlphas(new[] { 1.0, 0.25 });
        using var target = new VisionTransformer(Tiny().Spec, numClasses: 5);

        target.load_state_dict(source.state_dict());

        Assert.Equal(new[] { 1.0, 0.25 }, target.MlpAlphas);
    }

    [Fact]
    public void ResetHead_ReplacesOnlyTheClassifier()
    {
        torch.manual_seed(0);
        using var vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        var namesBefore = vit.named_parameters().Select(p => p.name).ToList();
        using var qkvBefore = vit.named_parameters().Single(p => p.name == "blocks.0.attn.qkv.weight").parameter.detach().clone();
        using var x = randn(2, 3, 16, 16);

        vit.ResetHead(7);

        using var logits = vit.forward(x);
        Assert.Equal(new long[] { 2, 7 }, logits.shape);
        Assert.Equal(namesBefore, vit.named_parameters().Select(p => p.name).ToList());
        var p = vit.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        Assert.Equal(new long[] { 7, 32 }, p["head.weight"].shape);
        Assert.Equal(0f, p["head.bias"].abs().max().item<float>());
        Assert.InRange(p["head.weight"].std().item<float>(), 0.01f, 0.03f);
        Assert.True(ExactlyEqual(p["blocks.0.attn.qkv.weight"], qkvBefore));
        Assert.Throws<ArgumentOutOfRangeException>(() => vit.ResetHead(0));
    }

    [Fact]
    public void ModelBuiltInsideADisposeScope_OutlivesIt()
    {
        VisionTransformer vit;
        using (var scope = NewDisposeScope()) {
            vit = new VisionTransformer(Tiny().Spec, numClasses: 5);
        }
        using (vit) {
            using var x = randn(1, 3, 16, 16);
            using var y = vit.forward(x);
            Assert.Equal(new long[] { 1, 5 }, y.shape);
            Assert.Equal(new[] { 1.0, 1.0 }, vit.MlpAlphas);
        }
    }

    [Fact]
    public void Constructor_RejectsInconsistentOptions()
    {
        Assert.Throws<ArgumentException>(() => new VisionTransformer((Tiny() with { PatchSize = 5 }).Spec, 5));
        Assert.Throws<ArgumentException>(() => new VisionTransformer((Tiny() with { Heads = 3 }).Spec, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VisionTransformer(Tiny().Spec, 0));
    }
}
