using System;
using System.Collections.Generic;

namespace MiDistill.Runtime.Augment;

/// <summary>
/// A recipe's leading <c>random_resized_crop</c> (bilinear) and <c>flip</c>, done per image by the
/// workers of a <see cref="Data.BatchStream"/> as they normalise the decoded bytes, instead of as
/// tensor ops on the training thread. It draws what the tensor path draws, in its order (every
/// image's window, then every image's coin) from the same step seed, and samples each window at
/// the source positions the tensor path's <c>grid_sample</c> uses, so a batch is the same (to float
/// rounding) whichever does it, and the same whatever the worker count.
/// </summary>
internal sealed class HostCrop
{
    private readonly HostResizedCrop _crop;

    private HostCrop(HostResizedCrop crop, bool flip) => (_crop, Flips) = (crop, flip);

    /// <summary>Whether the flip that follows the crop is done here too.</summary>
    public bool Flips { get; }

    /// <summary>How many of the recipe's leading steps this does: 1 (the crop) or 2 (crop, then flip).</summary>
    public int Steps => Flips ? 2 : 1;

    /// <summary>The host part of <paramref name="steps"/>, or null when they do not start with a bilinear random-resized crop.</summary>
    public static HostCrop? For(IReadOnlyList<IBatchAugmentation> steps) =>
        steps.Count > 0 && steps[0].Host is HostResizedCrop crop
            ? new HostCrop(crop, steps.Count > 1 && steps[1].Host is HostFlip)
            : null;

    public int OutHeight(int height) => _crop.Size > 0 ? _crop.Size : height;
    public int OutWidth(int width) => _crop.Size > 0 ? _crop.Size : width;

    /// <summary>
    /// The batch's windows and flips, drawn as the tensor path's crop and flip draw them
    /// (<see cref="BatchAugmenter.ResizedCropBox"/>, <see cref="BatchAugmenter.Flip"/>); null when a
    /// window shrinks, which needs the tensor path's antialiased resize (the training thread then
    /// augments the whole batch from the seed).
    /// </summary>
    public (Box[] Boxes, bool[] Flipped)? Draw(Random random, int count, int height, int width)
    {
        var boxes = new Box[count];
        for (int i = 0; i < count; i++)
        {
            var (top, left, h, w) = BatchAugmenter.ResizedCropBox(random, height, width, _crop.ScaleMin, _crop.ScaleMax, _crop.RatioMin, _crop.RatioMax);
            if (h > OutHeight(height) || w > OutWidth(width)) return null;
            boxes[i] = new Box(top, left, h, w);
        }
        var flipped = new bool[count];
        if (Flips)
            for (int i = 0; i < count; i++) flipped[i] = random.Next(2) == 1;
        return (boxes, flipped);
    }

    public readonly record struct Box(int Top, int Left, int Height, int Width);

    /// <summary>
    /// Samples <paramref name="box"/> of one normalised image [C, height, width] bilinearly into
    /// <paramref name="target"/> [C, outHeight, outWidth], mirrored when <paramref name="flip"/>.
    /// </summary>
    public static void Sample(ReadOnlySpan<float> image, int channels, int height, int width, Box box, bool flip,
        int outHeight, int outWidth, Span<float> target)
    {
        Span<int> x0 = stackalloc int[outWidth];
        Span<float> wx = stackalloc float[outWidth];
        for (int u = 0; u < outWidth; u++)
        {
            // The output column a flip puts here is the window's column outWidth - 1 - u.
            int column = flip ? outWidth - 1 - u : u;
            (x0[u], wx[u]) = Tap((float)((2 * (box.Left + Math.Clamp((column + 0.5) * box.Width / outWidth - 0.5, 0, box.Width - 1)) + 1) / width - 1), width);
        }
        int plane = height * width, outPlane = outHeight * outWidth;
        for (int v = 0; v < outHeight; v++)
        {
            var (y0, wy) = Tap((float)((2 * (box.Top + Math.Clamp((v + 0.5) * box.Height / outHeight - 0.5, 0, box.Height - 1)) + 1) / height - 1), height);
            int y1 = Math.Min(y0 + 1, height - 1);
            for (int c = 0; c < channels; c++)
            {
                var top = image.Slice(c * plane + y0 * width, width);
                var bottom = image.Slice(c * plane + y1 * width, width);
                var row = target.Slice(c * outPlane + v * outWidth, outWidth);
                for (int u = 0; u < outWidth; u++)
                {
                    int a = x0[u], b = Math.Min(a + 1, width - 1);
                    float fx = wx[u];
                    // grid_sample's weights: (1 - fx)(1 - fy), fx(1 - fy), (1 - fx)fy, fx fy.
                    row[u] = top[a] * ((1 - fx) * (1 - wy)) + top[b] * (fx * (1 - wy)) + bottom[a] * ((1 - fx) * wy) + bottom[b] * (fx * wy);
                }
            }
        }
    }

    // grid_sample's source index of a grid coordinate (align_corners false, border padding): the
    // pixel left of it and the weight of the one to its right.
    private static (int Index, float Weight) Tap(float grid, int size)
    {
        float at = Math.Clamp(((grid + 1) * size - 1) / 2, 0, size - 1);
        int index = (int)MathF.Floor(at);
        return (index, at - index);
    }
}
