using System;
using MiDistill.Runtime.Data;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Augment;

/// <summary>
/// Augmentation views of single images, for a teacher-output cache: view v of image i is the
/// recipe's augmentation of that image alone, every random decision (crop window, flip coin, ...)
/// drawn from <see cref="ViewSeed"/>. A view is therefore stored as its seed: the cache's fill and
/// every later epoch draw exactly the same windows and coins from it, whatever the batch the image
/// lands in. Mixup mixes pairs of a batch and has no per-image view; the compiler rejects it with a cache.
/// </summary>
public static class ViewReplay
{
    // Seed streams of their own (see Data/Seeds), apart from the batch augmenter's 101.
    private const int ViewStream = 111, ChoiceStream = 112;

    /// <summary>The seed of view <paramref name="view"/> of image <paramref name="image"/> under the cache's seed.</summary>
    public static int ViewSeed(int seed, int image, int view) => Seeds.Derive(Seeds.Derive(seed, ViewStream, image), view);

    /// <summary>
    /// Which of the <paramref name="views"/> stored views image <paramref name="image"/> shows in
    /// <paramref name="epoch"/>: a function of the stage seed, the epoch and the image only, so a
    /// resumed epoch draws the same views.
    /// </summary>
    public static int Choose(int seed, int epoch, int image, int views)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(views, 1);
        return new Random(Seeds.Derive(Seeds.Derive(seed, ChoiceStream, epoch), image)).Next(views);
    }

    /// <summary>
    /// Augments each image of [B, C, H, W] on its own with its own seed (its view) and stacks them;
    /// targets stay the labels [B]. Tensors belong to the caller's dispose scope.
    /// </summary>
    public static (Tensor Images, Tensor Targets) Apply(BatchAugmenter? augmenter, Tensor images, Tensor labels, ReadOnlySpan<int> seeds)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.shape[0] != seeds.Length)
            throw new ArgumentException($"{seeds.Length} view seeds for {images.shape[0]} images", nameof(seeds));
        if (augmenter is null || augmenter.IsEmpty) return (images, labels);
        var parts = new Tensor[seeds.Length];
        try
        {
            for (int i = 0; i < seeds.Length; i++)
            {
                using var one = images.narrow(0, i, 1);
                using var label = labels.narrow(0, i, 1);
                var (view, targets) = augmenter.Apply(one, label, seeds[i]);
                if (targets.dim() != 1)
                    throw new InvalidOperationException("an augmentation turned the labels into class probabilities (mixup): a cached view cannot replay it");
                parts[i] = view;
            }
            return (cat(parts, 0), labels);
        }
        finally
        {
            foreach (var p in parts) p?.Dispose();
        }
    }
}
