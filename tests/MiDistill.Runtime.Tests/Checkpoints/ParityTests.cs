using System;
using System.Linq;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Checkpoints;

/// <summary>
/// Every architecture, loaded from PyTorch-written weights, must reproduce PyTorch's logits and
/// penultimate features on the same batch within 1e-4 (float32).
/// </summary>
public sealed class ParityTests
{
    private const double Tolerance = 1e-4;

    static ParityTests() => torch.set_num_threads(1);

    private static nn.Module<Tensor, Tensor> Build(string architecture) => architecture switch
    {
        "vit_micro" => new VisionTransformer(Fixtures.VitMicro().Spec, 10),
        "resnet18_w8_small" => new ResNet(8, imageNetStem: false, 1, 10),
        "resnet18_w8_imagenet" => new ResNet(8, imageNetStem: true, 3, 10),
        "mobilenet_v2_w025_small" => new MobileNetV2(0.25, imageNetStem: false, 1, 10),
        "mobilenet_v2_w025_imagenet" => new MobileNetV2(0.25, imageNetStem: true, 3, 10),
        "cnn_small_w8" => new SmallCnn(8, 1, 10),
        "efficientnetv2_b0_w025_small" => new EfficientNetV2(0.25, imageNetStem: false, 1, 10, Fixtures.EffNetRepeats),
        "efficientnetv2_b0_w025_imagenet" => new EfficientNetV2(0.25, imageNetStem: true, 3, 10, Fixtures.EffNetRepeats),
        _ => throw new ArgumentException(architecture),
    };

    // The representation each head reads, as the fixtures recorded it (timm's forward_features, pooled).
    private static Tensor Features(nn.Module<Tensor, Tensor> model, Tensor x) => model switch
    {
        VisionTransformer m => m.forward_features(x),
        ResNet m => m.forward_features(x),
        MobileNetV2 m => m.forward_features(x),
        SmallCnn m => m.forward_features(x),
        EfficientNetV2 m => m.forward_features(x),
        _ => throw new ArgumentException(model.GetType().Name),
    };

    [Theory]
    [InlineData("vit_micro", ".safetensors")]
    [InlineData("vit_micro", ".pth")]
    [InlineData("resnet18_w8_small", ".safetensors")]
    [InlineData("resnet18_w8_small", ".pth")]
    [InlineData("resnet18_w8_imagenet", ".safetensors")]
    [InlineData("mobilenet_v2_w025_small", ".safetensors")]
    [InlineData("mobilenet_v2_w025_imagenet", ".safetensors")]
    [InlineData("cnn_small_w8", ".safetensors")]
    [InlineData("efficientnetv2_b0_w025_small", ".safetensors")]
    [InlineData("efficientnetv2_b0_w025_imagenet", ".safetensors")]
    public void Outputs_MatchPyTorch(string architecture, string extension)
    {
        using var model = Build(architecture);
        var report = ModelCheckpoints.Load(model, Fixtures.PathOf(architecture + extension));
        Assert.Empty(report.HeadSkipped);
        Assert.Empty(report.Adapted);
        model.eval();
        var io = Fixtures.Io(architecture);
        try
        {
            using var _ = no_grad();
            using var logits = model.forward(io["input"]);
            using var features = Features(model, io["input"]);
            Assert.True(Fixtures.MaxAbsDiff(logits, io["logits"]) < Tolerance, $"logits differ by {Fixtures.MaxAbsDiff(logits, io["logits"])}");
            Assert.True(Fixtures.MaxAbsDiff(features, io["features"]) < Tolerance, $"features differ by {Fixtures.MaxAbsDiff(features, io["features"])}");
        }
        finally { Fixtures.Dispose(io); }
    }

    [Fact]
    public void ReweightedVit_MatchesPyTorch_AndLoadingExpectsNoAlphas()
    {
        using var vit = new VisionTransformer(Fixtures.VitMicro().Spec, 10);
        vit.SetMlpAlphas(new[] { 0.3, 0.3, 0.3 });
        var report = ModelCheckpoints.Load(vit, Fixtures.PathOf("vit_micro.safetensors"));
        Assert.Equal(new[] { "blocks.0.mlp_alpha", "blocks.0.residual_scale", "blocks.1.mlp_alpha", "blocks.1.residual_scale", "blocks.2.mlp_alpha", "blocks.2.residual_scale" }, report.KeptMissing);
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, vit.MlpAlphas);

        var io = Fixtures.Io("vit_micro");
        try
        {
            vit.SetMlpAlphas(io["alphas"].data<float>().Select(a => (double)a).ToArray());
            vit.eval();
            using var _ = no_grad();
            using var logits = vit.forward(io["input"]);
            using var features = vit.forward_features(io["input"]);
            Assert.True(Fixtures.MaxAbsDiff(logits, io["logits_reweighted"]) < Tolerance);
            Assert.True(Fixtures.MaxAbsDiff(features, io["features_reweighted"]) < Tolerance);
            // The reweighting must change the output, or the comparison above proves nothing.
            Assert.True(Fixtures.MaxAbsDiff(logits, io["logits"]) > 1e-3);
        }
        finally { Fixtures.Dispose(io); }
    }

    [Fact]
    public void VitAtAnotherImageSize_ResamplesPosEmbedAsTimm()
    {
        using var vit = new VisionTransformer(Fixtures.VitMicro(imageSize: 48).Spec, 10);
        var report = ModelCheckpoints.Load(vit, Fixtures.PathOf("vit_micro.safetensors"));
        Assert.Equal(new[] { "pos_embed [1, 17, 48] -> [1, 37, 48]" }, report.Adapted);
        vit.eval();
        var io = Fixtures.Io("vit_micro");
        try
        {
            var posEmbed = vit.state_dict()["pos_embed"];
            Assert.True(Fixtures.MaxAbsDiff(posEmbed, io["pos_embed_48"]) < 1e-6);
            using var _ = no_grad();
            using var logits = vit.forward(io["input_48"]);
            Assert.True(Fixtures.MaxAbsDiff(logits, io["logits_48"]) < Tolerance);
        }
        finally { Fixtures.Dispose(io); }
    }

    [Fact]
    public void NewClassCount_SkipsAndReportsTheCheckpointHead()
    {
        using var vit = new VisionTransformer(Fixtures.VitMicro().Spec, 5);
        using var before = vit.state_dict()["head.weight"].clone();
        var report = ModelCheckpoints.Load(vit, Fixtures.PathOf("vit_micro.safetensors"));
        Assert.Contains("head.weight [10, 48]", report.HeadSkipped);
        Assert.Contains("head.bias [10]", report.HeadSkipped);
        Assert.Contains("checkpoint head skipped", report.Summary());
        Assert.Equal(0.0, Fixtures.MaxAbsDiff(vit.state_dict()["head.weight"], before));
        // Everything else came from the checkpoint.
        var io = Fixtures.Io("vit_micro");
        try
        {
            vit.eval();
            using var _ = no_grad();
            using var features = vit.forward_features(io["input"]);
            Assert.True(Fixtures.MaxAbsDiff(features, io["features"]) < Tolerance);
        }
        finally { Fixtures.Dispose(io); }
    }
}
