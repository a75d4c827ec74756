using System;
using System.Collections.Generic;
using System.Security.Cryptography;

namespace MiDistill.Runtime.Data;

/// <summary>
/// Decoded images held as bytes [Count, C, H, W] in chunks of at most <see cref="ChunkBytes"/>,
/// addressed with 64-bit offsets: no single array holds the set, so it is not capped at the 2 GiB
/// a .NET array can hold (20,000 RGB images at 224x224 are 3 GB).
/// </summary>
public sealed class InMemoryImages : IImageStore
{
    /// <summary>Largest chunk: 1 GiB, half of what one array may hold.</summary>
    public const long ChunkBytes = 1L << 30;

    private readonly byte[][] _chunks;
    private readonly long _imagesPerChunk;

    /// <summary>A store over <paramref name="pixels"/> as they are (one chunk, not copied).</summary>
    public InMemoryImages(byte[] pixels, int count, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        CheckShape(count, channels, height, width);
        long expected = (long)count * channels * height * width;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"{count} images of {channels}x{height}x{width} need {expected} pixel bytes, got {pixels.LongLength}");
        (Count, Channels, Height, Width) = (count, channels, height, width);
        _chunks = new[] { pixels };
        _imagesPerChunk = Math.Max(1, count);
    }

    private InMemoryImages(int count, int channels, int height, int width, long chunkBytes)
    {
        CheckShape(count, channels, height, width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        (Count, Channels, Height, Width) = (count, channels, height, width);
        _imagesPerChunk = ImagesPerChunk(ImageSize, chunkBytes);
        var lengths = ChunkLengths(count, ImageSize, chunkBytes);
        _chunks = new byte[lengths.Length][];
        for (int c = 0; c < lengths.Length; c++)
            _chunks[c] = new byte[lengths[c]];
    }

    /// <summary>An all-black store of <paramref name="count"/> images, to be filled with <see cref="Write"/>.</summary>
    public static InMemoryImages Allocate(int count, int channels, int height, int width) => new(count, channels, height, width, ChunkBytes);

    /// <summary>
    /// As <see cref="Allocate(int, int, int, int)"/>, with chunks of at most <paramref name="chunkBytes"/>:
    /// lets a test cross chunk boundaries with a few small images instead of gigabytes.
    /// </summary>
    internal static InMemoryImages Allocate(int count, int channels, int height, int width, long chunkBytes) => new(count, channels, height, width, chunkBytes);

    public int Count { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int ImageSize => Channels * Height * Width;

    /// <summary>The number of chunks the pixels are held in.</summary>
    internal int ChunkCount => _chunks.Length;

    /// <summary>Images one chunk holds: whole images only, so an image never straddles two chunks.</summary>
    public static long ImagesPerChunk(long imageSize) => ImagesPerChunk(imageSize, ChunkBytes);

    private static long ImagesPerChunk(long imageSize, long chunkBytes) => Math.Max(1, chunkBytes / imageSize);

    /// <summary>The byte lengths of the chunks <see cref="Allocate(int, int, int, int)"/> makes for <paramref name="count"/> images of <paramref name="imageSize"/> bytes.</summary>
    public static long[] ChunkLengths(long count, long imageSize) => ChunkLengths(count, imageSize, ChunkBytes);

    /// <summary>The byte lengths of the chunks for chunks of at most <paramref name="chunkBytes"/> (one image each when an image is larger).</summary>
    internal static long[] ChunkLengths(long count, long imageSize, long chunkBytes)
    {
        long perChunk = ImagesPerChunk(imageSize, chunkBytes);
        long chunks = Math.Max(1, (count + perChunk - 1) / perChunk);
        var lengths = new long[chunks];
        for (long c = 0; c < chunks; c++)
            lengths[c] = Math.Min(perChunk, count - c * perChunk) * imageSize;
        return lengths;
    }

    /// <summary>Which chunk holds image <paramref name="index"/>, and the byte offset of its first pixel there.</summary>
    public static (int Chunk, long Offset) Locate(long index, long imageSize, long imagesPerChunk) =>
        ((int)(index / imagesPerChunk), index % imagesPerChunk * imageSize);

    public void Read(int index, Span<byte> destination) => Slot(index).CopyTo(destination);

    public void Write(int index, ReadOnlySpan<byte> image)
    {
        if (image.Length != ImageSize)
            throw new ArgumentException($"an image of this store has {ImageSize} bytes, got {image.Length}");
        image.CopyTo(Slot(index));
    }

    public void AppendContent(int index, IncrementalHash hash) => hash.AppendData(Slot(index));

    private Span<byte> Slot(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"image {index} is outside 0..{Count - 1}");
        var (chunk, offset) = Locate(index, ImageSize, _imagesPerChunk);
        // Each chunk is under 2 GiB, so an offset inside one fits an int.
        return _chunks[chunk].AsSpan((int)offset, ImageSize);
    }

    private static void CheckShape(int count, int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"image shape {channels}x{height}x{width} must be positive in every dimension");
    }
}

/// <summary>The images of one store followed by those of another of the same shape.</summary>
internal sealed class ConcatenatedImages : IImageStore
{
    private readonly IImageStore _first, _second;

    public ConcatenatedImages(IImageStore first, IImageStore second)
    {
        if (first.Channels != second.Channels || first.Height != second.Height || first.Width != second.Width)
            throw new ArgumentException($"cannot join {first.Channels}x{first.Height}x{first.Width} images to {second.Channels}x{second.Height}x{second.Width} ones");
        (_first, _second) = (first, second);
    }

    public int Count => _first.Count + _second.Count;
    public int Channels => _first.Channels;
    public int Height => _first.Height;
    public int Width => _first.Width;

    public void Read(int index, Span<byte> destination)
    {
        if (index < _first.Count) _first.Read(index, destination);
        else _second.Read(index - _first.Count, destination);
    }

    public void AppendContent(int index, IncrementalHash hash)
    {
        if (index < _first.Count) _first.AppendContent(index, hash);
        else _second.AppendContent(index - _first.Count, hash);
    }
}
