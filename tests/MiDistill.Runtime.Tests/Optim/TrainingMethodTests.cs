using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Optim;

/// <summary>ASAM, clipping, decay exclusions, the step schedule and per-block reweighting, against hand computations.</summary>
public sealed class TrainingMethodTests
{
    static TrainingMethodTests() => torch.set_num_threads(1);

    private static readonly double[] W = { 0.5, -2.0, 0.0, 1.5 };   // a 2x2 weight, row-major
    private static readonly double[] Gw = { 0.3, 0.1, -0.4, 0.2 };
    private static readonly double[] Bias = { 0.7, -0.1 };
    private static readonly double[] Gb = { -0.2, 0.5 };

    private static double[] Values(Tensor t) => t.detach().cpu().data<double>().ToArray();

    // Parameters whose gradients are exactly Gw and Gb: L = sum(W * Gw) + sum(b * Gb).
    private static (Parameter W, Parameter B) WithGradients()
    {
        var w = new Parameter(tensor(W, new long[] { 2, 2 }, ScalarType.Float64));
        var b = new Parameter(tensor(Bias, ScalarType.Float64));
        using var gw = tensor(Gw, new long[] { 2, 2 }, ScalarType.Float64);
        using var gb = tensor(Gb, ScalarType.Float64);
        using var loss = (w * gw).sum() + (b * gb).sum();
        loss.backward();
        return (w, b);
    }

    [Fact]
    public void Asam_climb_matches_rho_T2_g_over_norm_of_T_g_with_identity_for_biases()
    {
        const double rho = 1.0, eta = 0.01;
        var t = W.Select(w => Math.Abs(w) + eta).ToArray();
        double norm = Math.Sqrt(W.Select((_, i) => Math.Pow(t[i] * Gw[i], 2)).Sum() + Gb.Sum(g => g * g));
        var expectedW = W.Select((w, i) => w + rho * t[i] * t[i] * Gw[i] / norm).ToArray();
        var expectedB = Bias.Select((b, i) => b + rho * Gb[i] / norm).ToArray();

        var (w, b) = WithGradients();
        using var _w = w; using var _b = b;
        using var sam = new Sam(new[] { w, b }, optim.SGD(new[] { w, b }, 0.1), rho, adaptive: true, eta: eta);
        sam.FirstStep();
        var climbedW = Values(w);
        var climbedB = Values(b);
        for (int i = 0; i < 4; i++) Assert.Equal(expectedW[i], climbedW[i], 10);
        for (int i = 0; i < 2; i++) Assert.Equal(expectedB[i], climbedB[i], 10);
        // A zero weight still moves, by eta^2: the reason for eta.
        Assert.NotEqual(W[2], climbedW[2]);

        sam.SecondStep();
        // Back at w before the base step: SGD(lr 0.1) then moves by -0.1 g (the grads were left as they were).
        var stepped = Values(w);
        for (int i = 0; i < 4; i++) Assert.Equal(W[i] - 0.1 * Gw[i], stepped[i], 12);
    }

    [Fact]
    public void Plain_sam_is_unchanged_by_the_adaptive_option_being_off()
    {
        double norm = Math.Sqrt(Gw.Sum(g => g * g) + Gb.Sum(g => g * g));
        var (w, b) = WithGradients();
        using var _w = w; using var _b = b;
        using var sam = new Sam(new[] { w, b }, optim.SGD(new[] { w, b }, 0.1), 0.05);
        sam.FirstStep();
        var climbed = Values(w);
        for (int i = 0; i < 4; i++) Assert.Equal(W[i] + 0.05 * Gw[i] / norm, climbed[i], 12);
        sam.SecondStep();
    }

    [Fact]
    public void Clipping_rescales_a_large_gradient_to_the_max_norm_and_keeps_its_direction()
    {
        double norm = Math.Sqrt(Gw.Sum(g => g * g) + Gb.Sum(g => g * g));   // about 0.77
        var (w, b) = WithGradients();
        using var _w = w; using var _b = b;
        double before = GradientClipping.ClipByGlobalNorm(new[] { w, b }, 0.25);
        Assert.Equal(norm, before, 12);
        var gw = Values(w.grad!);
        var gb = Values(b.grad!);
        Assert.Equal(0.25, Math.Sqrt(gw.Sum(g => g * g) + gb.Sum(g => g * g)), 12);
        for (int i = 0; i < 4; i++) Assert.Equal(Gw[i] * 0.25 / norm, gw[i], 12);
        for (int i = 0; i < 2; i++) Assert.Equal(Gb[i] * 0.25 / norm, gb[i], 12);
    }

    [Fact]
    public void Clipping_leaves_a_gradient_below_the_max_norm_alone()
    {
        var (w, b) = WithGradients();
        using var _w = w; using var _b = b;
        GradientClipping.ClipByGlobalNorm(new[] { w, b }, 1.0);
        Assert.Equal(Gw, Values(w.grad!));
        Assert.Equal(Gb, Values(b.grad!));
    }

    [Fact]
    public void Clipping_works_on_float32_gradients_as_models_have_them()
    {
        // 3-4-5 triangle: the gradient (3, 4) has norm 5; clipped to 1 it becomes (0.6, 0.8).
        using var p = new TorchSharp.Modules.Parameter(torch.zeros(2, dtype: ScalarType.Float32));
        p.grad = torch.tensor(new float[] { 3, 4 });
        Assert.Equal(5.0, GradientClipping.ClipByGlobalNorm(new[] { p }, 1.0), 6);
        Assert.Equal(new[] { 0.6f, 0.8f }, p.grad!.data<float>().ToArray().Select(v => MathF.Round(v, 6)));
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(1.0)]
    public void Clipping_on_a_gpu_reads_nothing_back_and_matches_the_float64_clipping(double maxNorm)
    {
        // The device path runs here on the CPU tensors; the step calls it for any device but the CPU.
        double norm = Math.Sqrt(Gw.Sum(g => g * g) + Gb.Sum(g => g * g));   // about 0.77
        var (w, b) = WithGradients();
        using var _w = w; using var _b = b;
        using (var w32 = new TorchSharp.Modules.Parameter(w.detach().to(ScalarType.Float32)))
        using (var b32 = new TorchSharp.Modules.Parameter(b.detach().to(ScalarType.Float32)))
        {
            w32.grad = w.grad!.to(ScalarType.Float32);
            b32.grad = b.grad!.to(ScalarType.Float32);
            using var deviceNorm = GradientClipping.ClipOnDevice(new[] { w32.grad!, b32.grad! }, maxNorm);
            Assert.Equal(norm, deviceNorm.item<float>(), 6);
            GradientClipping.ClipByGlobalNorm(new[] { w, b }, maxNorm);
            var expectedW = Values(w.grad!);
            var actualW = w32.grad!.data<float>().ToArray();
            for (int i = 0; i < 4; i++) Assert.Equal(expectedW[i], actualW[i], 6);
            if (maxNorm > norm)
                Assert.Equal(Gb.Select(g => (float)g), b32.grad!.data<float>().ToArray());
        }
    }

    private static VitOptions Vit() => new()
    {
        Name = "t", ImageSize = 8, PatchSize = 4, InChannels = 1, EmbedDim = 8, Depth = 2, Heads = 2, MlpRatio = 2,
    };

    [Fact]
    public void Decay_exclusions_put_norms_biases_position_embeddings_and_tokens_in_the_no_decay_group()
    {
        using var vit = new VisionTransformer(Vit().Spec, 3);
        var (decay, noDecay) = OptimizerFactory.DecayGroups(vit);
        var decayNames = decay.Select(x => x.Name).ToHashSet();
        var noDecayNames = noDecay.Select(x => x.Name).ToHashSet();
        Assert.Contains("cls_token", noDecayNames);
        Assert.Contains("pos_embed", noDecayNames);
        Assert.Contains("head.bias", noDecayNames);
        Assert.Contains("norm.weight", noDecayNames);
        Assert.Contains("blocks.0.norm1.weight", noDecayNames);
        Assert.Contains("blocks.1.mlp.fc1.bias", noDecayNames);
        Assert.Contains("patch_embed.proj.weight", decayNames);
        Assert.Contains("blocks.0.attn.qkv.weight", decayNames);
        Assert.Contains("blocks.1.mlp.fc2.weight", decayNames);
        Assert.Contains("head.weight", decayNames);
        Assert.All(decay, x => Assert.True(x.Parameter.dim() >= 2, x.Name));
        // Every parameter lands in exactly one group.
        Assert.Equal(vit.named_parameters().Select(x => x.name).OrderBy(n => n, StringComparer.Ordinal),
            decayNames.Concat(noDecayNames).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void Optimizer_with_decay_exclusions_has_a_zero_decay_group_and_the_configured_one()
    {
        using var vit = new VisionTransformer(Vit().Spec, 3);
        using var adamw = OptimizerFactory.Create(new AdamWOptions(0.001, 0.9, 0.999, 0.05), vit, decayExclusions: true);
        var groups = adamw.ParamGroups.Cast<TorchSharp.Modules.AdamW.ParamGroup>().ToArray();
        Assert.Equal(2, groups.Length);
        Assert.Equal(0.05, groups[0].Options.weight_decay);
        Assert.Equal(0.0, groups[1].Options.weight_decay);
        Assert.Contains(groups[1].Parameters, p => ReferenceEquals(p, vit.named_parameters().First(x => x.name == "pos_embed").parameter) || p.Handle == vit.named_parameters().First(x => x.name == "pos_embed").parameter.Handle);

        using var sgd = OptimizerFactory.Create(new SgdOptions(0.1, 0.9, 0.001, false), vit, decayExclusions: true);
        var sgdGroups = sgd.ParamGroups.Cast<TorchSharp.Modules.SGD.ParamGroup>().ToArray();
        Assert.Equal(new[] { 0.001, 0.0 }, sgdGroups.Select(g => g.Options.weight_decay!.Value));

        using var plain = OptimizerFactory.Create(new AdamWOptions(0.001, 0.9, 0.999, 0.05), vit, decayExclusions: false);
        Assert.Single(plain.ParamGroups);
    }

    [Theory]
    // every 2 epochs of 10 steps, gamma 0.5, warmup 1 epoch, 100 steps in all.
    [InlineData(0, 0.1)]        // warmup (0 + 1) / 10
    [InlineData(4, 0.5)]        // warmup 5 / 10
    [InlineData(9, 1.0)]        // end of warmup
    [InlineData(19, 1.0)]       // still the first two epochs
    [InlineData(20, 0.5)]       // epoch 2: one decay
    [InlineData(45, 0.25)]      // epoch 4
    [InlineData(99, 0.0625)]    // epoch 9: 0.5^4
    public void Step_schedule_values(long step, double expected) =>
        Assert.Equal(expected, LrSchedule.Factor(new StepLr(2, 0.5, 1), step, totalSteps: 100, stepsPerEpoch: 10), 12);

    [Fact]
    public void Step_schedule_without_warmup_starts_at_the_base_rate() =>
        Assert.Equal(1.0, LrSchedule.Factor(new StepLr(3, 0.1, 0), 0, 100, 10));

    [Fact]
    public void Per_block_alphas_apply_bottom_first_and_ramp_towards_each_target()
    {
        var blocks = new MlpBlocksReweight(new[] { 1.0, 1.0, 0.5, 0.25 }, new RampReweightSchedule(2));
        Assert.Equal(new[] { 1.0, 1.0, 0.75, 0.625 }, ReweightSchedule.Alphas(blocks, 4, epoch: 0));
        Assert.Equal(new[] { 1.0, 1.0, 0.5, 0.25 }, ReweightSchedule.Alphas(blocks, 4, epoch: 1));
        Assert.Equal(new[] { 1.0, 1.0, 0.5, 0.25 }, ReweightSchedule.Alphas(blocks with { Schedule = new ConstantReweightSchedule() }, 4, epoch: 0));
        Assert.Throws<ArgumentException>(() => ReweightSchedule.Alphas(blocks, 3, epoch: 0));
    }
}
