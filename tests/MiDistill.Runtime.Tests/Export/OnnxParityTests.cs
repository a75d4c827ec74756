using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Export;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Export;

/// <summary>
/// Every built-in architecture, exported, computes in ONNX Runtime (an independent evaluator, which
/// validates the graph fully when it loads) the logits TorchSharp's evaluation mode computes, within
/// 1e-4, on random pixels and on real Fashion-MNIST images; and the file passes the ONNX project's own
/// checker (python3-onnx, <c>full_check</c>: types and shapes inferred through every node).
/// </summary>
public sealed class OnnxParityTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-onnx-").FullName;

    static OnnxParityTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Every student form, with both stems where it has them; small widths keep CI fast, every block type stays.</summary>
    public static TheoryData<string, StudentOptions> Students() => new()
    {
        { "cnn_small", new SmallCnnOptions(Width: 8) },
        { "resnet18 small", new ResNetOptions(Width: 8, Stem: StemKind.Small) },
        { "resnet18 imagenet", new ResNetOptions(Width: 8, Stem: StemKind.ImageNet) },
        { "mobilenet_v2 small", new MobileNetV2Options(WidthMultiplier: 0.25, Stem: StemKind.Small) },
        { "mobilenet_v2 imagenet", new MobileNetV2Options(WidthMultiplier: 0.25, Stem: StemKind.ImageNet) },
        { "efficientnetv2_b0 small", new EfficientNetV2Options(WidthMultiplier: 0.25, Stem: StemKind.Small) },
        { "efficientnetv2_b0 imagenet", new EfficientNetV2Options(WidthMultiplier: 0.25, Stem: StemKind.ImageNet) },
    };

    [Theory]
    [MemberData(nameof(Students))]
    public void A_student_computes_the_same_logits_in_onnx_runtime_as_in_torchsharp(string name, StudentOptions student)
    {
        // Fashion-MNIST is grayscale; an ImageNet stem takes 3 channels, so the graph repeats the channel.
        // At 28x28 an ImageNet stem's last stages see 1x1 maps, whose BatchNorm statistics (of a
        // few images) make a net that magnifies float32's rounding; `distill.student_input_size` 64 is the realistic use.
        int size = student.InputChannels(1) == 3 ? 64 : 28;
        var contract = new OnnxInputContract(1, size, student.InputChannels(1), Repeat(FashionMnist.Statistics.Mean[0], student.InputChannels(1)), Repeat(FashionMnist.Statistics.Std[0], student.InputChannels(1)));
        using var model = student.Create(contract.ModelChannels, 10);
        Randomize(model, contract);
        AssertParity(name, model, contract);
    }

    /// <summary>A user's own student (the test recipes' `tiny_conv`) exports through the same mechanism.</summary>
    [Fact]
    public void A_users_own_student_with_the_mechanism_computes_the_same_logits()
    {
        var contract = new OnnxInputContract(1, 28, 1, new[] { 0.2860f }, new[] { 0.3530f });
        using var model = new MiDistill.Recipes.Own.TinyConvOptions(Hidden: 8).Create(1, 10);
        Randomize(model, contract);
        AssertParity("tiny_conv", model, contract);
    }

    /// <summary>ViT presets that fit CI's time, with a reweighting (MLP weights and residual scales) to fold in.</summary>
    [Theory]
    [InlineData("micro_28", 28, 7, 1, 32, 2, 2, 2.0)]
    [InlineData("tiny_28", 28, 4, 1, 64, 4, 4, 2.0)]
    [InlineData("small_28", 28, 4, 1, 128, 6, 4, 4.0)]
    [InlineData("vit_tiny_patch16_224", 224, 16, 3, 192, 12, 3, 4.0)]
    [InlineData("vit_small_patch32_224", 224, 32, 3, 384, 12, 6, 4.0)]
    public void A_reweighted_vit_teacher_computes_the_same_logits_in_onnx_runtime_as_in_torchsharp(string preset, int size, int patch, int channels, int dim, int depth, int heads, double mlpRatio)
    {
        using var vit = new VisionTransformer(new VitSpec(preset, size, patch, channels, dim, depth, heads, mlpRatio), 10);
        vit.SetMlpAlphas(Enumerable.Range(0, depth).Select(i => 0.2 + 0.6 * i / depth).ToArray());
        vit.SetResidualScales(Enumerable.Range(0, depth).Select(i => 1.8 - 0.6 * i / depth).ToArray());
        // ImageNet normalisation, as a teacher checkpoint of timm's asks for.
        var contract = channels == 3
            ? new OnnxInputContract(1, size, 3, new[] { 0.485f, 0.456f, 0.406f }, new[] { 0.229f, 0.224f, 0.225f })
            : new OnnxInputContract(1, size, 1, new[] { 0.2860f }, new[] { 0.3530f });
        AssertParity(preset, vit, contract);
    }

    private void AssertParity(string name, nn.Module<Tensor, Tensor> model, OnnxInputContract contract)
    {
        model.eval();
        var path = Path.Combine(_root, name.Replace(' ', '-') + ".onnx");
        OnnxExporter.Export(model, contract, 10, new Dictionary<string, string> { [OnnxMetadata.Classes] = "[]" }, path);

        using var onnx = OnnxModel.Load(path);
        Assert.Equal(contract.Channels, onnx.Channels);
        Assert.Equal(contract.ImageSize, onnx.ImageSize);
        foreach (var (what, pixels, batch) in new[] { ("random pixels", RandomPixels(contract, 3), 3), ("Fashion-MNIST test images", RealPixels(contract, 4), 4) })
        {
            var expected = Reference(model, contract, pixels, batch);
            var actual = onnx.Run(pixels, batch);
            double worst = 0;
            for (int i = 0; i < batch; i++)
                for (int c = 0; c < 10; c++) worst = Math.Max(worst, Math.Abs(expected[i][c] - actual[i][c]));
            double largest = expected.SelectMany(l => l).Max(Math.Abs);
            Assert.True(worst <= Tolerance, $"{name} on {what}: ONNX Runtime's logits differ from TorchSharp's by up to {worst:g3} (tolerance {Tolerance:g}; logits up to {largest:g3})");
            // Not vacuous: logits of a size where 1e-4 means something, and different for different images.
            Assert.True(largest > 0.1, $"{name}: logits up to {largest:g3} only");
            Assert.True(Enumerable.Range(0, 10).Max(c => Math.Abs(expected[0][c] - expected[batch - 1][c])) > 1e-3, $"{name}: the same logits for different images");
        }
        OnnxChecker.AssertValid(path);
    }

    /// <summary>TorchSharp's evaluation-mode logits of pixels in [0, 1], prepared as training prepares a batch.</summary>
    internal static float[][] Reference(nn.Module<Tensor, Tensor> model, OnnxInputContract contract, float[] pixels, int batch)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(pixels).reshape(batch, contract.Channels, contract.ImageSize, contract.ImageSize);
        if (contract.ModelChannels != contract.Channels) x = x.expand(-1, contract.ModelChannels, -1, -1);
        x = x.sub(tensor(contract.Mean.ToArray()).reshape(1, -1, 1, 1)).div(tensor(contract.Std.ToArray()).reshape(1, -1, 1, 1));
        var logits = model.call(x);
        return Enumerable.Range(0, batch).Select(i => logits[i].data<float>().ToArray()).ToArray();
    }

    private static float[] RandomPixels(OnnxInputContract contract, int batch, int seed = 17)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, batch * contract.Channels * contract.ImageSize * contract.ImageSize).Select(_ => (float)random.NextDouble()).ToArray();
    }

    /// <summary>Real test images, resized (bilinear, as the input adapter) when the model's size is not 28.</summary>
    private static float[] RealPixels(OnnxInputContract contract, int batch)
    {
        var (_, test) = FashionMnist.Load(FashionMnist.DefaultPath);
        var images = Enumerable.Range(0, batch).SelectMany(i => test.Image(i * 7)).Select(b => b / 255f).ToArray();
        if (contract.ImageSize == 28) return images;
        using var scope = NewDisposeScope();
        var x = nn.functional.interpolate(tensor(images).reshape(batch, 1, 28, 28), new long[] { contract.ImageSize, contract.ImageSize }, mode: InterpolationMode.Bilinear, align_corners: false);
        return x.clamp(0, 1).contiguous().data<float>().ToArray();
    }

    /// <summary>
    /// BatchNorm's affine and running statistics away from 1/0, so that leaving them out (or mixing
    /// them up) shows; heads of unit scale, so that logits are not all near zero (MobileNetV2's N(0, 0.01) head).
    /// </summary>
    internal static void Randomize(nn.Module<Tensor, Tensor> model, OnnxInputContract contract)
    {
        using var _ = no_grad();
        torch.manual_seed(5);
        foreach (var (_, module) in model.named_modules())
        {
            if (module is TorchSharp.Modules.BatchNorm2d bn)
            {
                bn.weight!.copy_(torch.rand(bn.weight.shape).mul(0.4).add(0.8));
                bn.bias!.copy_(torch.randn(bn.bias.shape).mul(0.1));
            }
            else if (module is TorchSharp.Modules.Linear linear)
            {
                linear.weight!.copy_(torch.randn(linear.weight.shape).div(Math.Sqrt(linear.weight.shape[1])));
                linear.bias?.copy_(torch.randn(linear.bias.shape).mul(0.1));
            }
        }
        // Running statistics of images like the test's (one training-mode pass with momentum 1), as
        // after training: an untrained deep net's activations would otherwise saturate (every image
        // the same logits) or grow to logits in the thousands, where float32 itself differs by 1e-4.
        var norms = model.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.BatchNorm2d>().ToList();
        foreach (var bn in norms) bn.momentum = 1;
        model.train();
        Reference(model, contract, RealPixels(contract, 16).Concat(RandomPixels(contract, 16, seed: 3)).ToArray(), 32);
        model.eval();
        foreach (var bn in norms) bn.momentum = 0.1;
    }

    private static float[] Repeat(float value, int count) => Enumerable.Repeat(value, count).ToArray();
}

/// <summary>The ONNX project's own checker (python3-onnx; scripts/ensure-python.sh installs it).</summary>
internal static class OnnxChecker
{
    public static void AssertValid(string path)
    {
        // check_model(path, full_check=True) writes the shapes it inferred back into the file it
        // checks (ONNX 1.12's infer_shapes_path), so it checks a copy: the file stays as exported.
        var copy = Path.Combine(Path.GetTempPath(), $"midistill-check-{Guid.NewGuid():N}.onnx");
        File.Copy(path, copy);
        try
        {
            Check(path, copy);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    private static void Check(string path, string copy)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { "-c", "import sys, onnx; onnx.checker.check_model(sys.argv[1], full_check=True); print('valid')", copy },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0 && output.Trim() == "valid", $"onnx.checker rejects {path}:\n{error}{output}");
    }
}
