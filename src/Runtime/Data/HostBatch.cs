using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Data;

/// <summary>
/// One batch decoded and normalised in ordinary memory, not yet a tensor: what a background worker
/// of a <see cref="BatchStream"/> can make without touching TorchSharp, whose tensors belong to the
/// training thread's dispose scope.
/// </summary>
public sealed class HostBatch
{
    private HostBatch(int[] indices, float[] values, long[] labels, int channels, int height, int width)
    {
        Indices = indices;
        Values = values;
        Labels = labels;
        (Channels, Height, Width) = (channels, height, width);
    }

    /// <summary>The set's image indices, in batch order.</summary>
    public IReadOnlyList<int> Indices { get; }
    /// <summary>Normalised pixels [B, C, H, W].</summary>
    public float[] Values { get; }
    public long[] Labels { get; }
    public int Count => Labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Decodes and normalises the images <paramref name="indices"/> of <paramref name="set"/> on the calling thread.</summary>
    internal static HostBatch Build(ImageSet set, int[] indices, float[] tables)
    {
        int size = set.ImageSize, plane = set.Height * set.Width;
        var values = new float[(long)indices.Length * size];
        var labels = new long[indices.Length];
        var image = new byte[size];
        for (int i = 0; i < indices.Length; i++)
        {
            set.ReadImage(indices[i], image);
            var target = values.AsSpan(i * size, size);
            for (int c = 0, p = 0; c < set.Channels; c++)
            {
                var table = tables.AsSpan(c * 256, 256);
                for (int end = p + plane; p < end; p++)
                    target[p] = table[image[p]];
            }
            labels[i] = set.Labels[indices[i]];
        }
        return new HostBatch(indices, values, labels, set.Channels, set.Height, set.Width);
    }

    /// <summary>
    /// Images float32 [B, C, H, W] and labels int64 [B] on <paramref name="device"/>. Call inside the
    /// caller's <c>torch.NewDisposeScope()</c>: the tensors belong to that scope.
    /// </summary>
    public (Tensor Images, Tensor Labels) ToTensors(Device? device = null)
    {
        var images = tensor(Values, new long[] { Count, Channels, Height, Width });
        var labels = tensor(Labels, new long[] { Count });
        if (device is not null && device.type != DeviceType.CPU)
            return (images.to(device), labels.to(device));
        return (images, labels);
    }
}
