using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Augment;
using MiDistill.Runtime.Distill;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Augment;

public sealed class BatchAugmenterTests
{
    static BatchAugmenterTests() => torch.set_num_threads(1);

    private const int B = 3, H = 4, W = 5;
    private const float Pad = -9f;

    // Pixel (i, y, x) = 100 i + 10 y + x: every value says where it came from.
    private static float Pixel(int i, int y, int x) => 100 * i + 10 * y + x;

    private static Tensor Images() =>
        tensor(Enumerable.Range(0, B * H * W).Select(k => Pixel(k / (H * W), k / W % H, k % W)).ToArray(), new long[] { B, 1, H, W });

    private static float[] Values(Tensor t) => t.detach().cpu().data<float>().ToArray();

    [Fact]
    public void Crop_takes_the_padded_window_at_the_offsets_drawn_from_the_step_seed()
    {
        const int padding = 2, seed = 1234;
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new CropAugment(padding) }, 10, Pad);
        using var scope = NewDisposeScope();
        var (images, targets) = augmenter.Apply(Images(), tensor(new long[] { 0, 1, 2 }), seed);

        // The reference: replay the documented draws (dy, dx per image, in order) and copy pixels by hand.
        var random = new Random(seed);
        var expected = new List<float>();
        for (int i = 0; i < B; i++) {
            int dy = random.Next(2 * padding + 1), dx = random.Next(2 * padding + 1);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int sy = y + dy - padding, sx = x + dx - padding;
                    expected.Add(sy < 0 || sy >= H || sx < 0 || sx >= W ? Pad : Pixel(i, sy, sx));
                }
        }
        Assert.Equal(expected, Values(images));
        Assert.Equal(new long[] { B, 1, H, W }, images.shape);
        Assert.Equal(ScalarType.Int64, targets.dtype);
    }

    [Fact]
    public void Flip_mirrors_exactly_the_images_whose_coin_came_up()
    {
        const int seed = 7;
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new FlipAugment() }, 10, Pad);
        using var scope = NewDisposeScope();
        var (images, _) = augmenter.Apply(Images(), tensor(new long[] { 0, 1, 2 }), seed);

        var random = new Random(seed);
        var flips = Enumerable.Range(0, B).Select(_ => random.Next(2) == 1).ToArray();
        var expected = new List<float>();
        for (int i = 0; i < B; i++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    expected.Add(Pixel(i, y, flips[i] ? W - 1 - x : x));
        Assert.Equal(expected, Values(images));
    }

    [Fact]
    public void Mixup_is_lam_x_plus_one_minus_lam_x_perm_with_labels_mixed_alike()
    {
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new MixupAugment(1, 1) }, 4, Pad);
        using var scope = NewDisposeScope();
        var x = Images();
        var (mixed, targets) = BatchAugmenter.Mixup(x, tensor(new long[] { 0, 3, 1 }), 4, 0.7, new long[] { 2, 0, 1 });
        var source = Values(x);
        var expected = new float[source.Length];
        int size = H * W;
        long[] perm = { 2, 0, 1 };
        for (int i = 0; i < B; i++)
            for (int k = 0; k < size; k++)
                expected[i * size + k] = (float)(0.7 * source[i * size + k] + 0.3 * source[perm[i] * size + k]);
        var actual = Values(mixed);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 3);
        // Labels 0, 3, 1 mixed with those of images 2, 0, 1 (labels 1, 0, 3).
        var t = Values(targets);
        Assert.Equal(new[] { 0.7, 0.3, 0, 0, 0.3, 0, 0, 0.7, 0, 0.7, 0, 0.3 }, t.Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void Apply_is_a_function_of_the_seed_only()
    {
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new CropAugment(1), new FlipAugment(), new MixupAugment(1, 0.5) }, 10, Pad);
        using var scope = NewDisposeScope();
        var labels = tensor(new long[] { 0, 1, 2 });
        int seed = BatchAugmenter.StepSeed(3000, epoch: 2, step: 5);
        torch.manual_seed(1);
        var a = Values(augmenter.Apply(Images(), labels, seed).Images);
        torch.manual_seed(99);   // the global torch generator plays no part
        var b = Values(augmenter.Apply(Images(), labels, seed).Images);
        Assert.Equal(a, b);
        Assert.Equal(seed, BatchAugmenter.StepSeed(3000, 2, 5));
        Assert.NotEqual(seed, BatchAugmenter.StepSeed(3000, 2, 6));
        Assert.NotEqual(seed, BatchAugmenter.StepSeed(3000, 3, 5));
        Assert.NotEqual(seed, BatchAugmenter.StepSeed(4000, 2, 5));
    }

    [Fact]
    public void Mixup_with_probability_zero_leaves_the_batch_and_its_labels_alone()
    {
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new MixupAugment(1, 0) }, 10, Pad);
        using var scope = NewDisposeScope();
        var labels = tensor(new long[] { 0, 1, 2 });
        var (images, targets) = augmenter.Apply(Images(), labels, 5);
        Assert.Equal(Values(Images()), Values(images));
        Assert.Same(labels, targets);
    }

    [Fact]
    public void In_distillation_the_teacher_sees_exactly_the_students_augmented_input()
    {
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new CropAugment(2), new FlipAugment(), new MixupAugment(0.4, 1) }, 4, Pad);
        using var scope = NewDisposeScope();
        var (x, targets) = augmenter.Apply(Images().narrow(3, 0, H), tensor(new long[] { 0, 3, 1 }), 42);   // square, so the adapters pass it through
        Tensor? seenByTeacher = null, seenByStudent = null;
        int teacherCalls = 0;
        Func<Tensor, Tensor> teacher = input => { seenByTeacher = input; teacherCalls++; return input.flatten(1).narrow(1, 0, 4) * 0.1; };
        using var weights = randn(H * H, 4);
        Func<Tensor, Tensor> student = input => { seenByStudent = input; return input.flatten(1).matmul(weights); };
        var adapter = new InputAdapter(H, 1);
        foreach (var loss in new DistillLossOptions[] { new KdLossOptions(4, 0.5), new DistLossOptions(1, 1, 4, 0.5) })
        {
            var compute = Stages.DistillationLoss(loss, teacher, student, adapter, adapter);
            var (value, _) = compute(x, targets);
            Assert.True(double.IsFinite(value.item<float>()));
            Assert.Equal(Values(x), Values(seenByTeacher!));
            Assert.Equal(Values(x), Values(seenByStudent!));
        }
        // Computed on every call, never cached.
        Assert.Equal(2, teacherCalls);
    }

    [Fact]
    public void Cross_entropy_accepts_the_mixed_label_probabilities()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 1, 2, 0.5f, -1, 0, 3 }, new long[] { 2, 3 });
        var soft = tensor(new float[] { 0.7f, 0.3f, 0, 0, 0.4f, 0.6f }, new long[] { 2, 3 });
        var loss = KnowledgeDistillationLoss.Compute(logits, null, soft, 4, 0).item<float>();
        double Lse(double a, double b, double c) => Math.Log(Math.Exp(a) + Math.Exp(b) + Math.Exp(c));
        double expected = (0.7 * (Lse(1, 2, 0.5) - 1) + 0.3 * (Lse(1, 2, 0.5) - 2) + 0.4 * (Lse(-1, 0, 3) - 0) + 0.6 * (Lse(-1, 0, 3) - 3)) / 2;
        Assert.Equal(expected, loss, 5);
    }
}
