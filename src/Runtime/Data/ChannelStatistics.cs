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
        var mean = new float[channels];
        var std = new float[channels];
        // Integer counts are exact; a histogram keeps this one pass over the bytes.
        Span<long> histogram = stackalloc long[256];
        for (int c = 0; c < channels; c++)
        {
            histogram.Clear();
            for (int i = 0; i < count; i++)
            {
                var channel = pixels.Slice((int)((i * channels + c) * plane), (int)plane);
                foreach (var v in channel) histogram[v]++;
            }
            double n = (double)count * plane, sum = 0, squares = 0;
            for (int v = 0; v < 256; v++)
            {
                double x = v / 255.0;
                sum += histogram[v] * x;
                squares += histogram[v] * x * x;
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
