using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using SkiaSharp;

namespace MiDistill.Runtime.Data;

/// <summary>
/// PNG and JPEG files decoded when a batch reads them, converted to grayscale or RGB and resized to
/// size x size with the declared interpolation. When the whole set fits under the cache budget
/// decoded, each image is kept after its first decode (a cache: later
/// epochs of a small folder skip decoding); otherwise nothing is kept and memory stays that of the
/// batches in flight, whatever the number of files.
/// </summary>
public sealed class ImageFiles : IImageStore
{
    private readonly string[] _files;
    private readonly ResizeFilter _resize;
    private readonly bool _caching;
    private InMemoryImages? _cache;
    // 1 once an image's bytes are in the cache; written after the bytes, read before them.
    private readonly int[] _cached;
    private int _cachedCount;

    /// <param name="channels">1 (grayscale, ITU-R BT.601 luma) or 3 (RGB).</param>
    public ImageFiles(IReadOnlyList<string> files, int size, int channels, ResizeFilter resize = ResizeFilter.Bilinear, long cacheBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "image size must be >= 1");
        _files = [.. files];
        CheckChannels(channels);
        (Height, Width, Channels) = (size, size, channels);
        _resize = resize;
        _caching = (long)_files.Length * ImageSize <= cacheBytes;
        _cached = _caching ? new int[_files.Length] : [];
    }

    public int Count => _files.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int ImageSize => Channels * Height * Width;
    public IReadOnlyList<string> Files => _files;

    /// <summary>Whether decoded images are kept (the set fits the cache budget).</summary>
    public bool Caching => _caching;

    /// <summary>Images decoded and kept so far.</summary>
    public int CachedImages => Volatile.Read(ref _cachedCount);

    public void Read(int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)_files.Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"image {index} is outside 0..{_files.Length - 1}");
        if (_caching && Volatile.Read(ref _cached[index]) == 1)
        {
            _cache!.Read(index, destination);
            return;
        }
        Decode(_files[index], Height, Channels, _resize, destination);
        if (!_caching) return;
        LazyInitializer.EnsureInitialized(ref _cache, () => InMemoryImages.Allocate(_files.Length, Channels, Height, Width));
        // Two workers decoding the same image write the same bytes; the flag goes up after them.
        _cache.Write(index, destination);
        if (Interlocked.Exchange(ref _cached[index], 1) == 0) Interlocked.Increment(ref _cachedCount);
    }

    /// <summary>The file's bytes: the same image reached by another path keys the same cache entry.</summary>
    public void AppendContent(int index, IncrementalHash hash) => hash.AppendData(File.ReadAllBytes(_files[index]));

    /// <summary>One image as bytes [C, size, size]; an undecodable file is an error naming it.</summary>
    public static byte[] Decode(string file, int size, int channels, ResizeFilter resize = ResizeFilter.Bilinear)
    {
        CheckChannels(channels);
        var result = new byte[channels * size * size];
        Decode(file, size, channels, resize, result);
        return result;
    }

    /// <summary>Decodes <paramref name="file"/> into <paramref name="destination"/> ([C, size, size]).</summary>
    public static void Decode(string file, int size, int channels, ResizeFilter resize, Span<byte> destination)
    {
        using var original = DecodeWhole(file, size);
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = original.Resize(info, Sampling(resize))
            ?? throw new InvalidDataException($"image folder data set: cannot resize `{file}` to {size}x{size}");
        var rgba = resized.GetPixelSpan();
        int rowBytes = resized.RowBytes, plane = size * size;
        for (int y = 0; y < size; y++)
        {
            var row = rgba.Slice(y * rowBytes, 4 * size);
            for (int x = 0; x < size; x++)
            {
                byte r = row[4 * x], g = row[4 * x + 1], b = row[4 * x + 2];
                int at = y * size + x;
                if (channels == 3)
                {
                    destination[at] = r;
                    destination[plane + at] = g;
                    destination[2 * plane + at] = b;
                }
                else
                    // ITU-R BT.601 luma, as PIL's convert("L").
                    destination[at] = (byte)Math.Round(0.299 * r + 0.587 * g + 0.114 * b);
            }
        }
    }

    // Bicubic is Catmull-Rom (Keys a = -0.5, as PIL's BICUBIC that timm's transforms use); bilinear
    // the tent filter. Neither prefilters, which is why a large JPEG is first decoded at a reduced
    // scale (below) so the last step shrinks by less than 2x.
    private static SKSamplingOptions Sampling(ResizeFilter resize) => resize switch
    {
        ResizeFilter.Bicubic => new SKSamplingOptions(SKCubicResampler.CatmullRom),
        _ => new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None),
    };

    /// <summary>
    /// Decodes every pixel or fails: a truncated file decodes partially (SkiaSharp fills the rest)
    /// and would be trained on silently, so anything short of a complete decode is an error. A JPEG
    /// at least twice the target size is decoded at 1/2, 1/4 or 1/8 scale in the DCT (libjpeg-turbo's
    /// scaled decoding, what PIL's draft mode does), still no smaller than <paramref name="size"/>.
    /// </summary>
    private static SKBitmap DecodeWhole(string file, int size)
    {
        using var codec = SKCodec.Create(file)
            ?? throw new InvalidDataException($"image folder data set: cannot decode `{file}` as PNG or JPEG");
        var dimensions = codec.Info.Size;
        float scale = Math.Max((float)size / dimensions.Width, (float)size / dimensions.Height);
        if (scale < 0.5f)
        {
            var scaled = codec.GetScaledDimensions(scale);
            if (scaled.Width >= size && scaled.Height >= size) dimensions = scaled;
        }
        var info = codec.Info.WithSize(dimensions.Width, dimensions.Height).WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.Success) return bitmap;
        bitmap.Dispose();
        throw new InvalidDataException(result == SKCodecResult.IncompleteInput
            ? $"image folder data set: `{file}` is truncated (its image data ends early); replace or remove it"
            : $"image folder data set: cannot decode `{file}` ({result}); replace or remove it");
    }

    private static void CheckChannels(int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "images are decoded to 1 (grayscale) or 3 (RGB) channels");
    }
}

/// <summary>How a decoded image is resized to the size the store holds.</summary>
public enum ResizeFilter
{
    /// <summary>The tent filter: linear in each direction (2x2 neighbours).</summary>
    Bilinear,
    /// <summary>Catmull-Rom cubic convolution (Keys a = -0.5, PIL's BICUBIC, which timm's transforms use).</summary>
    Bicubic,
}
