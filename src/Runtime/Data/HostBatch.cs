using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using MiDistill.Runtime.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Data;

/// <summary>
/// One batch decoded and normalised in ordinary memory, not yet a tensor: what a background worker
/// of a <see cref="BatchStream"/> can make without touching TorchSharp, whose tensors belong to the
/// training thread's dispose scope.
/// </summary>
/// <remarks>
/// A batch from a stream holds one of the stream's pixel buffers (a 224x224 RGB batch of 64 is a
/// 38 MB array). <see cref="Dispose"/> hands it back for a later batch, so an epoch reuses a few
/// buffers instead of leaving one on the large-object heap per batch for the collector to find;
/// call it once the tensors are made (they are copies) and <see cref="Values"/> is no longer read.
/// A batch never disposed simply keeps its array, as any other.
/// </remarks>
public sealed class HostBatch : IDisposable
{
    private readonly BufferPool? _pool;
    private bool _released;

    private HostBatch(int[] indices, float[] values, long[] labels, int channels, int height, int width, BufferPool? pool,
        (int Steps, Random? Random) augmented = default)
    {
        Indices = indices;
        Values = values;
        Labels = labels;
        (Channels, Height, Width) = (channels, height, width);
        _pool = pool;
        Augmented = augmented;
    }

    /// <summary>
    /// How many of the recipe's leading augmentations the worker did (0 = none) and the step's random
    /// stream as they left it, for <see cref="BatchAugmenter"/> to continue from on the training thread.
    /// </summary>
    internal (int Steps, Random? Random) Augmented { get; }

    /// <summary>The set's image indices, in batch order.</summary>
    public IReadOnlyList<int> Indices { get; }
    /// <summary>Normalised pixels [B, C, H, W]; after <see cref="Dispose"/> the array may hold a later batch.</summary>
    public float[] Values { get; }
    public long[] Labels { get; }
    public int Count => Labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Decodes and normalises the images <paramref name="indices"/> of <paramref name="set"/> on the calling thread.</summary>
    internal static HostBatch Build(ImageSet set, int[] indices, float[] tables) =>
        Build(set, indices, tables, pool: null, new Scratch(set.ImageSize), crop: null, seed: 0);

    /// <summary>One worker's buffers for one image: its bytes, and its normalised pixels when it is cropped.</summary>
    internal sealed class Scratch(int imageSize)
    {
        public byte[] Bytes { get; } = new byte[imageSize];
        public float[] Pixels => _pixels ??= new float[Bytes.Length];
        private float[]? _pixels;
    }

    /// <summary>
    /// As <see cref="Build(ImageSet, int[], float[])"/>, into a buffer from <paramref name="pool"/>
    /// (returned there on <see cref="Dispose"/>), decoding through <paramref name="scratch"/> (the caller's).
    /// With <paramref name="crop"/>, each image is also cropped, resized and flipped as the step
    /// seeded <paramref name="seed"/> draws, unless a window of the batch shrinks (see <see cref="HostCrop.Draw"/>).
    /// </summary>
    internal static HostBatch Build(ImageSet set, int[] indices, float[] tables, BufferPool? pool, Scratch scratch, HostCrop? crop, int seed)
    {
        if (crop is not null)
        {
            var random = new Random(seed);
            if (crop.Draw(random, indices.Length, set.Height, set.Width) is { } drawn)
                return BuildCropped(set, indices, tables, pool, scratch, crop, drawn, random);
        }
        var image = scratch.Bytes;
        int size = set.ImageSize, plane = set.Height * set.Width;
        long length = (long)indices.Length * size;
        var values = pool?.Rent(length) ?? new float[length];
        var labels = new long[indices.Length];
        try
        {
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
        }
        catch
        {
            pool?.Return(values);
            throw;
        }
        return new HostBatch(indices, values, labels, set.Channels, set.Height, set.Width, pool);
    }

    private static HostBatch BuildCropped(ImageSet set, int[] indices, float[] tables, BufferPool? pool, Scratch scratch, HostCrop crop,
        (HostCrop.Box[] Boxes, bool[] Flipped) drawn, Random random)
    {
        int plane = set.Height * set.Width, outHeight = crop.OutHeight(set.Height), outWidth = crop.OutWidth(set.Width);
        int outSize = set.Channels * outHeight * outWidth;
        var values = pool?.Rent((long)indices.Length * outSize) ?? new float[(long)indices.Length * outSize];
        var labels = new long[indices.Length];
        var (image, pixels) = (scratch.Bytes, scratch.Pixels);
        try
        {
            for (int i = 0; i < indices.Length; i++)
            {
                set.ReadImage(indices[i], image);
                for (int c = 0, p = 0; c < set.Channels; c++)
                {
                    var table = tables.AsSpan(c * 256, 256);
                    for (int end = p + plane; p < end; p++)
                        pixels[p] = table[image[p]];
                }
                HostCrop.Sample(pixels, set.Channels, set.Height, set.Width, drawn.Boxes[i], drawn.Flipped[i], outHeight, outWidth,
                    values.AsSpan(i * outSize, outSize));
                labels[i] = set.Labels[indices[i]];
            }
        }
        catch
        {
            pool?.Return(values);
            throw;
        }
        return new HostBatch(indices, values, labels, set.Channels, outHeight, outWidth, pool, (crop.Steps, random));
    }

    /// <summary>
    /// Images float32 [B, C, H, W] and labels int64 [B] on <paramref name="device"/> (null: the CPU),
    /// copied out of this batch's arrays. Call inside the caller's <c>torch.NewDisposeScope()</c>: the tensors belong to that scope.
    /// </summary>
    public (Tensor Images, Tensor Labels) ToTensors(Device? device = null) => (ImagesOn(device), LabelsOn(device));

    /// <summary>
    /// The images alone (evaluation needs no labels on the device), float32 [B, C, H, W] on
    /// <paramref name="device"/> (null: the CPU), copied out of <see cref="Values"/>, which may go back
    /// to the pool at once.
    /// </summary>
    /// <remarks>
    /// One copy into memory LibTorch allocates (its allocators pool the blocks), never a clone of the
    /// pooled array on the managed heap per batch (TorchSharp's <c>tensor(array)</c> clones it). For
    /// CUDA that memory is page-locked, and the copy to the GPU does not block: the step queues its
    /// kernels behind it, and LibTorch's pinned-memory allocator keeps the block until the copy is done.
    /// </remarks>
    public Tensor ImagesOn(Device? device = null)
    {
        ObjectDisposedException.ThrowIf(_released, this);
        var target = device ?? CPU;
        bool cuda = target.type == DeviceType.CUDA;
        long count = (long)Count * Channels * Height * Width;
        var staging = empty(new long[] { Count, Channels, Height, Width }, ScalarType.Float32, device: CPU);
        if (cuda)
        {
            var pinned = staging.pin_memory();
            staging.Dispose();
            staging = pinned;
        }
        if (count > 0) MemoryMarshal.AsBytes(Values.AsSpan(0, checked((int)count))).CopyTo(staging.bytes);
        return target.type == DeviceType.CPU ? staging : staging.to(target, non_blocking: cuda);
    }

    private Tensor LabelsOn(Device? device)
    {
        ObjectDisposedException.ThrowIf(_released, this);
        var labels = tensor(Labels, new long[] { Count }, device: CPU);
        return device is null || device.type == DeviceType.CPU ? labels : labels.to(device);
    }

    /// <summary>Hands the pixel buffer back to the stream that built this batch; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        _pool?.Return(Values);
    }
}

/// <summary>
/// Float buffers of one length kept for reuse, at most <see cref="Capacity"/> of them: a buffer
/// returned when the pool is full, or of another length (an epoch's shorter last batch), is left
/// to the collector. Safe to use from several threads.
/// </summary>
internal sealed class BufferPool(int capacity)
{
    private readonly Stack<float[]> _free = new();
    private long _length = -1;

    public int Capacity { get; } = capacity;

    /// <summary>Buffers allocated by <see cref="Rent"/> because none was free (a measure of reuse).</summary>
    public int Allocated { get; private set; }

    public float[] Rent(long length)
    {
        lock (_free)
        {
            if (length == _length && _free.TryPop(out var buffer)) return buffer;
            // The first length asked for is the one kept: every batch but an epoch's last has it.
            if (_length < 0) _length = length;
            Allocated++;
        }
        return new float[length];
    }

    public void Return(float[] buffer)
    {
        lock (_free)
            if (buffer.LongLength == _length && _free.Count < Capacity) _free.Push(buffer);
    }
}
