using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Data;

/// <summary>
/// Labelled images: labels, and for each image its index in an <see cref="IImageStore"/> that holds
/// (or decodes) its pixels as bytes [C, H, W]. Subsets, relabellings and splits share the store and
/// copy only indices, so a split of a 100,000-file folder holds no pixels at all. Tensors are made
/// per batch, by <see cref="ToTensors"/> or, with background decoding, by a <see cref="BatchStream"/>.
/// </summary>
/// <remarks><see cref="Labels"/> is the set's own array, handed out without copying; treat it as read-only.</remarks>
public sealed class ImageSet
{
    private readonly IImageStore _store;
    private readonly int[] _storeIndices;
    private readonly int[] _sourceIndices;

    /// <summary>Images held in <paramref name="pixels"/>, [labels.Length, C, H, W] row-major, not copied.</summary>
    /// <param name="statistics">What batches are normalised with; null = computed from these pixels.</param>
    public ImageSet(byte[] pixels, int[] labels, int numClasses, int channels, int height, int width, int[]? sourceIndices = null, ChannelStatistics? statistics = null)
        : this(new InMemoryImages(pixels ?? throw new ArgumentNullException(nameof(pixels)), (labels ?? throw new ArgumentNullException(nameof(labels))).Length, channels, height, width),
               labels, numClasses, storeIndices: null, sourceIndices, statistics) { }

    /// <summary>
    /// Images of <paramref name="store"/>: image i is the store's <c>storeIndices[i]</c> (null = the
    /// store's images in order, one label each).
    /// </summary>
    /// <param name="statistics">What batches are normalised with; null = computed from every image of the set.</param>
    public ImageSet(IImageStore store, int[] labels, int numClasses, int[]? storeIndices = null, int[]? sourceIndices = null, ChannelStatistics? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(labels);
        if (storeIndices is null && labels.Length != store.Count)
            throw new ArgumentException($"{labels.Length} labels for a store of {store.Count} images");
        if (storeIndices is not null && storeIndices.Length != labels.Length)
            throw new ArgumentException($"{storeIndices.Length} store indices for {labels.Length} images");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)numClasses)
                throw new ArgumentException($"label {labels[i]} of image {i} is outside 0..{numClasses - 1}");
        if (sourceIndices is not null && sourceIndices.Length != labels.Length)
            throw new ArgumentException($"{sourceIndices.Length} source indices for {labels.Length} images");
        _store = store;
        _storeIndices = storeIndices ?? Identity(labels.Length);
        foreach (int j in _storeIndices)
            if ((uint)j >= (uint)store.Count)
                throw new ArgumentOutOfRangeException(nameof(storeIndices), $"store index {j} is outside 0..{store.Count - 1}");
        Labels = labels;
        NumClasses = numClasses;
        _sourceIndices = sourceIndices ?? Identity(labels.Length);
        if (statistics is not null && statistics.Channels != Channels)
            throw new ArgumentException($"statistics of {statistics.Channels} channels for {Channels}-channel images");
        Statistics = statistics ?? ChannelStatistics.Compute(store, _storeIndices);
    }

    private ImageSet(ImageSet like, int[] labels, int numClasses, int[] storeIndices, int[] sourceIndices, ChannelStatistics statistics)
    {
        _store = like._store;
        Labels = labels;
        NumClasses = numClasses;
        _storeIndices = storeIndices;
        _sourceIndices = sourceIndices;
        Statistics = statistics;
    }

    /// <summary>
    /// The per-channel statistics every batch of this set is normalised with. Subsets keep their
    /// parent's, so every split of a data set is normalised like its training split.
    /// </summary>
    public ChannelStatistics Statistics { get; }

    /// <summary>Where the pixels come from (shared by every subset of the set).</summary>
    public IImageStore Store => _store;

    /// <summary>The same images with other labels (e.g. a teacher's predictions for unlabeled images).</summary>
    public ImageSet WithLabels(int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != Count) throw new ArgumentException($"{labels.Length} labels for {Count} images");
        CheckLabels(labels, NumClasses);
        return new ImageSet(this, labels, NumClasses, _storeIndices, _sourceIndices, Statistics);
    }

    /// <summary>The images of this set followed by those of <paramref name="other"/> (same shape and classes; this set's statistics).</summary>
    public ImageSet Concat(ImageSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Channels != Channels || other.Height != Height || other.Width != Width || other.NumClasses != NumClasses)
            throw new ArgumentException($"cannot concatenate a {other.NumClasses}-class {other.Channels}x{other.Height}x{other.Width} set to a {NumClasses}-class {Channels}x{Height}x{Width} one");
        var labels = Labels.Concat(other.Labels).ToArray();
        var sources = _sourceIndices.Concat(other._sourceIndices).ToArray();
        if (ReferenceEquals(_store, other._store))
            return new ImageSet(this, labels, NumClasses, _storeIndices.Concat(other._storeIndices).ToArray(), sources, Statistics);
        var joined = new ConcatenatedImages(_store, other._store);
        var indices = _storeIndices.Concat(other._storeIndices.Select(j => j + _store.Count)).ToArray();
        return new ImageSet(joined, labels, NumClasses, indices, sources, Statistics);
    }

    /// <summary>The same images, normalised with <paramref name="statistics"/> (the training split's, for a test split).</summary>
    public ImageSet WithStatistics(ChannelStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (statistics.Channels != Channels)
            throw new ArgumentException($"statistics of {statistics.Channels} channels for {Channels}-channel images");
        return new ImageSet(this, Labels, NumClasses, _storeIndices, _sourceIndices, statistics);
    }

    public int Count => Labels.Length;
    public int Channels => _store.Channels;
    public int Height => _store.Height;
    public int Width => _store.Width;
    public int ImageSize => Channels * Height * Width;
    public int NumClasses { get; }
    public int[] Labels { get; }

    /// <summary>
    /// For each image, its index in the set it was originally loaded from (kept through
    /// <see cref="Subset"/>), so splits can be checked for shared images and reported.
    /// </summary>
    public IReadOnlyList<int> SourceIndices => _sourceIndices;

    /// <summary>Image <paramref name="index"/> as bytes [C, H, W] (decoded now if the store holds files).</summary>
    public byte[] Image(int index)
    {
        var result = new byte[ImageSize];
        ReadImage(index, result);
        return result;
    }

    /// <summary>Writes image <paramref name="index"/> as bytes [C, H, W] into <paramref name="destination"/>; safe from several threads.</summary>
    public void ReadImage(int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"index {index} is outside 0..{Count - 1}");
        _store.Read(_storeIndices[index], destination);
    }

    /// <summary>Every pixel of the set in one new array, [Count, C, H, W]: for small sets and tests (an array holds at most 2 GiB).</summary>
    public byte[] ReadPixels()
    {
        long total = (long)Count * ImageSize;
        if (total > Array.MaxLength)
            throw new InvalidOperationException($"{Count} images of {Channels}x{Height}x{Width} are {total} bytes, more than one array holds; read them by image or batch");
        var pixels = new byte[total];
        for (int i = 0; i < Count; i++)
            ReadImage(i, pixels.AsSpan(i * ImageSize, ImageSize));
        return pixels;
    }

    /// <summary>Adds the images' content, in order, to <paramref name="hash"/> (see <see cref="IImageStore.AppendContent"/>).</summary>
    public void AppendContent(IncrementalHash hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        foreach (int j in _storeIndices) _store.AppendContent(j, hash);
    }

    public ImageSet Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var store = new int[indices.Count];
        var labels = new int[indices.Count];
        var sources = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {j} is outside 0..{Count - 1}");
            store[i] = _storeIndices[j];
            labels[i] = Labels[j];
            sources[i] = _sourceIndices[j];
        }
        return new ImageSet(this, labels, NumClasses, store, sources, Statistics);
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
        return new ImageSet(this, labels, classes.Count, _storeIndices, _sourceIndices, Statistics);
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
    /// (x/255 - mean[c])/std[c], and int64 labels [B], decoded on the calling thread.
    /// Call inside the caller's <c>torch.NewDisposeScope()</c>: the tensors belong to that scope.
    /// </summary>
    public (Tensor Images, Tensor Labels) ToTensors(IReadOnlyList<int> indices, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var batch = HostBatch.Build(this, indices.ToArray(), NormalisationTable());
        return batch.ToTensors(device);
    }

    /// <summary>A 256-entry table per channel: normalisation becomes one lookup per pixel.</summary>
    internal float[] NormalisationTable()
    {
        var tables = new float[Channels * 256];
        for (int c = 0; c < Channels; c++)
            for (int v = 0; v < 256; v++)
                tables[c * 256 + v] = (v / 255f - Statistics.Mean[c]) / Statistics.Std[c];
        return tables;
    }

    private static void CheckLabels(int[] labels, int numClasses)
    {
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)numClasses)
                throw new ArgumentException($"label {labels[i]} of image {i} is outside 0..{numClasses - 1}");
    }

    private static int[] Identity(int count)
    {
        var result = new int[count];
        for (int i = 0; i < count; i++)
            result[i] = i;
        return result;
    }
}
