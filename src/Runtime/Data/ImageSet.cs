using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Data;

/// <summary>
/// Labelled images held as bytes, [Count, Channels, Height, Width] row-major. Byte storage keeps
/// the whole of Fashion-MNIST at 47 MB; tensors are made per batch by <see cref="ToTensors"/>.
/// </summary>
/// <remarks>
/// <see cref="Pixels"/> and <see cref="Labels"/> are the set's own arrays, handed out without copying
/// so that batching stays cheap; treat them as read-only.
/// </remarks>
public sealed class ImageSet
{
    /// <param name="statistics">What batches are normalised with; null = computed from these pixels.</param>
    public ImageSet(byte[] pixels, int[] labels, int numClasses, int channels, int height, int width, int[]? sourceIndices = null, ChannelStatistics? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"image shape {channels}x{height}x{width} must be positive in every dimension");
        long expected = (long)labels.Length * channels * height * width;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"{labels.Length} labels of {channels}x{height}x{width} images need {expected} pixel bytes, got {pixels.LongLength}");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)numClasses)
                throw new ArgumentException($"label {labels[i]} of image {i} is outside 0..{numClasses - 1}");
        if (sourceIndices is not null && sourceIndices.Length != labels.Length)
            throw new ArgumentException($"{sourceIndices.Length} source indices for {labels.Length} images");

        Pixels = pixels;
        Labels = labels;
        NumClasses = numClasses;
        Channels = channels;
        Height = height;
        Width = width;
        _sourceIndices = sourceIndices ?? Identity(labels.Length);
        if (statistics is not null && statistics.Channels != channels)
            throw new ArgumentException($"statistics of {statistics.Channels} channels for {channels}-channel images");
        Statistics = statistics ?? ChannelStatistics.Compute(pixels, labels.Length, channels, height, width);
    }

    /// <summary>
    /// The per-channel statistics every batch of this set is normalised with. Subsets keep their
    /// parent's, so every split of a data set is normalised like its training split.
    /// </summary>
    public ChannelStatistics Statistics { get; }

    /// <summary>The same images with other labels (e.g. a teacher's predictions for unlabeled images).</summary>
    public ImageSet WithLabels(int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != Count) throw new ArgumentException($"{labels.Length} labels for {Count} images");
        return new ImageSet(Pixels, labels, NumClasses, Channels, Height, Width, _sourceIndices, Statistics);
    }

    /// <summary>The images of this set followed by those of <paramref name="other"/> (same shape and classes; this set's statistics).</summary>
    public ImageSet Concat(ImageSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Channels != Channels || other.Height != Height || other.Width != Width || other.NumClasses != NumClasses)
            throw new ArgumentException($"cannot concatenate a {other.NumClasses}-class {other.Channels}x{other.Height}x{other.Width} set to a {NumClasses}-class {Channels}x{Height}x{Width} one");
        return new ImageSet(Pixels.Concat(other.Pixels).ToArray(), Labels.Concat(other.Labels).ToArray(), NumClasses, Channels, Height, Width,
            _sourceIndices.Concat(other._sourceIndices).ToArray(), Statistics);
    }

    /// <summary>The same images, normalised with <paramref name="statistics"/> (the training split's, for a test split).</summary>
    public ImageSet WithStatistics(ChannelStatistics statistics) =>
        new(Pixels, Labels, NumClasses, Channels, Height, Width, _sourceIndices, statistics);

    public int Count => Labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int ImageSize => Channels * Height * Width;
    public int NumClasses { get; }
    public byte[] Pixels { get; }
    public int[] Labels { get; }

    /// <summary>
    /// For each image, its index in the set it was originally loaded from (kept through
    /// <see cref="Subset"/>), so splits can be checked for shared images and reported.
    /// </summary>
    public IReadOnlyList<int> SourceIndices => _sourceIndices;

    private readonly int[] _sourceIndices;

    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * ImageSize, ImageSize);

    public ImageSet Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int size = ImageSize;
        var pixels = new byte[(long)indices.Count * size];
        var labels = new int[indices.Count];
        var sources = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {j} is outside 0..{Count - 1}");
            Image(j).CopyTo(pixels.AsSpan(i * size, size));
            labels[i] = Labels[j];
            sources[i] = _sourceIndices[j];
        }
        return new ImageSet(pixels, labels, NumClasses, Channels, Height, Width, sources, Statistics);
    }

    /// <summary>
    /// Relabels through <paramref name="classes"/>: an image of class <c>classes[k]</c> gets label k.
    /// Every image's class must be listed; take a <see cref="Subset"/> first.
    /// </summary>
    public ImageSet WithClasses(IReadOnlyList<int> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var map = new int[NumClasses];
        Array.Fill(map, -1);
        for (int k = 0; k < classes.Count; k++)
        {
            int c = classes[k];
            if ((uint)c >= (uint)NumClasses)
                throw new ArgumentException($"class {c} is outside 0..{NumClasses - 1}");
            if (map[c] >= 0)
                throw new ArgumentException($"class {c} is listed twice");
            map[c] = k;
        }
        var labels = new int[Count];
        for (int i = 0; i < Count; i++)
        {
            labels[i] = map[Labels[i]];
            if (labels[i] < 0)
                throw new ArgumentException($"image {i} has class {Labels[i]}, which is not among the classes [{string.Join(", ", classes)}]");
        }
        return new ImageSet(Pixels, labels, classes.Count, Channels, Height, Width, _sourceIndices, Statistics);
    }

    public int[] ClassCounts()
    {
        var counts = new int[NumClasses];
        foreach (int label in Labels)
            counts[label]++;
        return counts;
    }

    /// <summary>Indices of the images of <paramref name="label"/>, ascending.</summary>
    public int[] IndicesOf(int label)
    {
        var result = new List<int>();
        for (int i = 0; i < Count; i++)
            if (Labels[i] == label)
                result.Add(i);
        return result.ToArray();
    }

    /// <summary>
    /// One batch as float32 [B, C, H, W] normalised with the set's <see cref="Statistics"/>,
    /// (x/255 - mean[c])/std[c], and int64 labels [B].
    /// Call inside the caller's <c>torch.NewDisposeScope()</c>: the tensors belong to that scope.
    /// </summary>
    public (Tensor Images, Tensor Labels) ToTensors(IReadOnlyList<int> indices, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        // A 256-entry table per channel turns normalisation into one lookup per pixel.
        int plane = Height * Width;
        var tables = new float[Channels * 256];
        for (int c = 0; c < Channels; c++)
            for (int v = 0; v < 256; v++)
                tables[c * 256 + v] = (v / 255f - Statistics.Mean[c]) / Statistics.Std[c];

        int size = ImageSize;
        var values = new float[(long)indices.Count * size];
        var labels = new long[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {j} is outside 0..{Count - 1}");
            var source = Image(j);
            var target = values.AsSpan(i * size, size);
            for (int p = 0; p < size; p++)
                target[p] = tables[(p / plane) * 256 + source[p]];
            labels[i] = Labels[j];
        }

        var images = torch.tensor(values, new long[] { indices.Count, Channels, Height, Width });
        var labelTensor = torch.tensor(labels, new long[] { indices.Count });
        if (device is not null && device.type != DeviceType.CPU)
            return (images.to(device), labelTensor.to(device));
        return (images, labelTensor);
    }

    private static int[] Identity(int count)
    {
        var result = new int[count];
        for (int i = 0; i < count; i++)
            result[i] = i;
        return result;
    }
}
