using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace MiDistill.Runtime.Data;

/// <summary>
/// Per-channel mean and standard deviation of pixels scaled to [0, 1]: what a data set's batches
/// are normalised with, (x/255 - mean[c]) / std[c]. Sources declare them (Fashion-MNIST's published
/// values) or they are computed from the training split.
/// </summary>
public sealed class ChannelStatistics : IEquatable<ChannelStatistics>
{
    public ChannelStatistics(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || mean.Count != std.Count)
            throw new ArgumentException($"channel statistics need one mean and one std per channel, got {mean.Count} and {std.Count}");
        if (mean.Any(m => !float.IsFinite(m)) || std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new ArgumentException($"channel statistics must be finite with positive stds, got mean [{Show(mean)}], std [{Show(std)}]");
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    public IReadOnlyList<float> Mean { get; }
    public IReadOnlyList<float> Std { get; }
    public int Channels => Mean.Count;

    /// <summary>
    /// The statistics of <paramref name="count"/> images [C, H, W] of bytes. A channel without
    /// spread (or an empty set) gets std 1, so normalising never divides by zero.
    /// </summary>
    public static ChannelStatistics Compute(ReadOnlySpan<byte> pixels, int count, int channels, int height, int width)
    {
        long plane = (long)height * width;
        // Integer counts are exact; a histogram keeps this one pass over the bytes.
        var histograms = new long[channels * 256];
        for (long i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                foreach (var v in pixels.Slice((int)((i * channels + c) * plane), (int)plane)) histograms[c * 256 + v]++;
        return FromHistograms(histograms, channels, (double)count * plane);
    }

    /// <summary>
    /// The statistics of the images <paramref name="indices"/> of <paramref name="store"/>, read (and
    /// for files decoded) in parallel; integer histograms make the result exact in any order.
    /// </summary>
    public static ChannelStatistics Compute(IImageStore store, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(indices);
        int channels = store.Channels, size = store.Channels * store.Height * store.Width;
        long plane = (long)store.Height * store.Width;
        var total = new long[channels * 256];
        try
        {
            System.Threading.Tasks.Parallel.For(0, indices.Count,
                () => (Histogram: new long[channels * 256], Image: new byte[size]),
                (i, _, local) =>
                {
                    store.Read(indices[i], local.Image);
                    for (int c = 0; c < channels; c++)
                        foreach (var v in local.Image.AsSpan((int)(c * plane), (int)plane)) local.Histogram[c * 256 + v]++;
                    return local;
                },
                local => { lock (total) for (int k = 0; k < total.Length; k++) total[k] += local.Histogram[k]; });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The reader's own error (a corrupt file, named), not the parallel loop's wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        return FromHistograms(total, channels, (double)indices.Count * plane);
    }

    /// <summary>
    /// The statistics of at most <paramref name="maxImages"/> images of <paramref name="store"/>, drawn
    /// with a fixed seed (all of them when the store is no larger): start-up time stays the same
    /// whatever the size of a folder whose every image would otherwise be decoded first.
    /// </summary>
    public static ChannelStatistics Sample(IImageStore store, int maxImages)
    {
        ArgumentNullException.ThrowIfNull(store);
        var all = Enumerable.Range(0, store.Count).ToArray();
        if (store.Count <= maxImages) return Compute(store, all);
        var drawn = Seeds.Shuffled(all, new Random(Seeds.Derive(0, SeedStreams.Statistics))).Take(maxImages).Order().ToArray();
        return Compute(store, drawn);
    }

    private static ChannelStatistics FromHistograms(long[] histograms, int channels, double n)
    {
        var mean = new float[channels];
        var std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, squares = 0;
            for (int v = 0; v < 256; v++)
            {
                double x = v / 255.0;
                sum += histograms[c * 256 + v] * x;
                squares += histograms[c * 256 + v] * x * x;
            }
            double m = n > 0 ? sum / n : 0;
            double variance = n > 0 ? Math.Max(0, squares / n - m * m) : 0;
            mean[c] = (float)m;
            std[c] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
        return new ChannelStatistics(mean, std);
    }

    /// <summary>A black pixel (0) after normalisation, per channel.</summary>
    public float[] Black() => Mean.Zip(Std, (m, s) => -m / s).ToArray();

    public bool Equals(ChannelStatistics? other) =>
        other is not null && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    public override bool Equals(object? obj) => Equals(obj as ChannelStatistics);

    public override int GetHashCode() => HashCode.Combine(Mean[0], Std[0], Channels);

    public override string ToString() => $"mean [{Show(Mean)}], std [{Show(Std)}]";

    private static string Show(IEnumerable<float> values) =>
        string.Join(", ", values.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)));
}
