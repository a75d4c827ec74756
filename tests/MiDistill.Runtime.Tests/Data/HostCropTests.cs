using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Augment;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Data;

/// <summary>
/// The random-resized-crop and flip the stream's workers do per image, checked against the tensor
/// path on the training thread (itself checked against the interpolation formula in
/// TeacherResolutionTests) from the same step seeds.
/// </summary>
public sealed class HostCropTests
{
    static HostCropTests() => torch.set_num_threads(1);

    private const int Count = 40, Classes = 4, Stored = 16, Batch = 8;

    // Random pixels: a wrong source pixel, weight or mirror shows in the values.
    private static ImageSet Set()
    {
        var random = new Random(3);
        var pixels = new byte[Count * 3 * Stored * Stored];
        random.NextBytes(pixels);
        var labels = Enumerable.Range(0, Count).Select(i => i % Classes).ToArray();
        return new ImageSet(pixels, labels, Classes, 3, Stored, Stored, statistics: new ChannelStatistics(new[] { 0.4f, 0.5f, 0.6f }, new[] { 0.2f, 0.25f, 0.3f }));
    }

    private static int Seed(int step) => BatchAugmenter.StepSeed(17, 2, step);

    /// <summary>Per batch: the images and targets after every step, the steps the workers did, and the images as the workers left them.</summary>
    private static List<(float[] Images, float[] Targets, int HostSteps, float[] Host)> Run(ImageSet set, BatchAugmenter augmenter, int[][] plan, int workers, bool inWorkers)
    {
        var result = new List<(float[], float[], int, float[])>();
        using var stream = new BatchStream(set, plan, workers, augment: inWorkers ? augmenter : null, augmentSeed: Seed);
        for (int b = 0; stream.Next() is { } batch; b++)
        {
            using var scope = NewDisposeScope();
            int steps = batch.Augmented.Steps;
            var host = batch.Values.ToArray();
            var (x, y) = batch.ToTensors();
            batch.Dispose();
            var (images, targets) = augmenter.Apply(batch, x, y, Seed(b));
            result.Add((images.data<float>().ToArray(), targets.to(ScalarType.Float32).data<float>().ToArray(), steps, host));
        }
        return result;
    }

    private static int[][] Plan() => BatchPlan.Epoch(Count, Batch, shuffle: true, seed: 1, epoch: 0);

    [Fact]
    public void Workers_crop_and_flip_each_image_as_the_tensor_path_does_with_the_same_draws_whatever_the_worker_count()
    {
        var set = Set();
        // Enlarging to 20: every window fits, so the workers do the crop and flip; mixup after them
        // continues their random stream (its lam and permutation show in the targets).
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new RandomResizedCropAugment(Size: 20), new FlipAugment(), new MixupAugment(Alpha: 0.4) }, Classes, set.Statistics.Black());
        var plan = Plan();
        var reference = Run(set, augmenter, plan, workers: 1, inWorkers: false);
        var one = Run(set, augmenter, plan, workers: 1, inWorkers: true);
        Assert.All(reference, r => Assert.Equal(0, r.HostSteps));
        for (int b = 0; b < plan.Length; b++)
        {
            Assert.Equal(2, one[b].HostSteps);
            Assert.Equal(Batch * 3 * 20 * 20, one[b].Host.Length);
            Assert.Equal(reference[b].Targets, one[b].Targets);
            Assert.Equal(reference[b].Images.Length, one[b].Images.Length);
            for (int k = 0; k < one[b].Images.Length; k++)
                Assert.Equal(reference[b].Images[k], one[b].Images[k], 4e-5f);
        }
        foreach (int workers in new[] { 0, 2, 3 })
        {
            var other = Run(set, augmenter, plan, workers, inWorkers: true);
            for (int b = 0; b < plan.Length; b++)
            {
                Assert.Equal(one[b].Images, other[b].Images);
                Assert.Equal(one[b].Targets, other[b].Targets);
            }
        }
    }

    [Fact]
    public void A_batch_with_a_shrinking_window_is_left_to_the_tensor_path_and_comes_out_as_before()
    {
        var set = Set();
        // To 8 from 16: most windows shrink and need the antialiased resize of the tensor path.
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new RandomResizedCropAugment(Size: 8), new FlipAugment() }, Classes, set.Statistics.Black());
        var plan = Plan();
        var reference = Run(set, augmenter, plan, workers: 2, inWorkers: false);
        var streamed = Run(set, augmenter, plan, workers: 2, inWorkers: true);
        Assert.Contains(streamed, s => s.HostSteps == 0);
        for (int b = 0; b < plan.Length; b++)
        {
            if (streamed[b].HostSteps == 0) Assert.Equal(reference[b].Images, streamed[b].Images);
            else
                for (int k = 0; k < reference[b].Images.Length; k++) Assert.Equal(reference[b].Images[k], streamed[b].Images[k], 4e-5f);
        }
    }

    [Fact]
    public void Only_a_leading_bilinear_random_resized_crop_and_the_flip_after_it_go_to_the_workers()
    {
        Assert.Equal(2, HostCrop.For(new AugmentOptions[] { new RandomResizedCropAugment(), new FlipAugment(), new MixupAugment() })!.Steps);
        Assert.Equal(1, HostCrop.For(new AugmentOptions[] { new RandomResizedCropAugment(), new MixupAugment(), new FlipAugment() })!.Steps);
        Assert.Null(HostCrop.For(new AugmentOptions[] { new FlipAugment(), new RandomResizedCropAugment() }));
        Assert.Null(HostCrop.For(new AugmentOptions[] { new RandomResizedCropAugment(Interpolation: Interpolation.Bicubic) }));
        Assert.Null(HostCrop.For(Array.Empty<AugmentOptions>()));
    }
}
