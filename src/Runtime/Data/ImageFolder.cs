using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using SkiaSharp;

namespace MiDistill.Runtime.Data;

/// <summary>
/// Images in one folder per class: <c>root/train/&lt;class&gt;/*.png|jpg|jpeg</c> and
/// <c>root/test/&lt;class&gt;/...</c>. Classes are the train folder names in ordinal order; test must
/// have the same folders. Every image is decoded with SkiaSharp, converted to grayscale or RGB and
/// resized to size x size, so the set is stored as bytes like Fashion-MNIST.
/// </summary>
public static class ImageFolder
{
    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };

    public static (ImageSet Train, ImageSet Test, IReadOnlyList<string> ClassNames) Load(string root, int size, ColorMode color)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "image size must be >= 1");
        var trainRoot = Path.Combine(root, "train");
        var testRoot = Path.Combine(root, "test");
        foreach (var folder in new[] { trainRoot, testRoot })
            if (!Directory.Exists(folder))
                throw new DirectoryNotFoundException($"image folder data set: `{folder}` does not exist; expected {root}/train/<class>/*.png and {root}/test/<class>/*.png");
        var classes = ClassFolders(trainRoot);
        if (classes.Length == 0)
            throw new InvalidDataException($"image folder data set: `{trainRoot}` has no class folders");
        foreach (var name in classes)
            if (!Directory.Exists(Path.Combine(testRoot, name)))
                throw new DirectoryNotFoundException($"image folder data set: class `{name}` has no test folder `{Path.Combine(testRoot, name)}`");
        // A test class the model never trains on would be scored as always wrong.
        foreach (var name in ClassFolders(testRoot))
            if (!classes.Contains(name, StringComparer.Ordinal))
                throw new InvalidDataException($"image folder data set: `{Path.Combine(testRoot, name)}` is a class that `{trainRoot}` does not have; test/ must have exactly the class folders of train/ ({string.Join(", ", classes)})");
        return (LoadSplit(trainRoot, classes, size, color), LoadSplit(testRoot, classes, size, color), classes);
    }

    private static string[] ClassFolders(string splitRoot) =>
        Directory.GetDirectories(splitRoot).Select(d => Path.GetFileName(d)!).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    private static ImageSet LoadSplit(string splitRoot, string[] classes, int size, ColorMode color)
    {
        int channels = color == ColorMode.Rgb ? 3 : 1;
        var pixels = new List<byte>();
        var labels = new List<int>();
        for (int c = 0; c < classes.Length; c++)
        {
            var folder = Path.Combine(splitRoot, classes[c]);
            var files = Directory.GetFiles(folder)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToList();
            // A class with no images would be trained (or tested) on nothing.
            if (files.Count == 0)
                throw new InvalidDataException($"image folder data set: class folder `{folder}` has no images (*.png, *.jpg, *.jpeg); add images or remove the folder from train/ and test/");
            foreach (var file in files)
            {
                pixels.AddRange(Decode(file, size, color));
                labels.Add(c);
            }
        }
        return new ImageSet(pixels.ToArray(), labels.ToArray(), classes.Length, channels, size, size);
    }

    /// <summary>One image as bytes [C, size, size]; an undecodable file is an error naming it.</summary>
    public static byte[] Decode(string file, int size, ColorMode color)
    {
        using var original = DecodeWhole(file);
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = original.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None))
            ?? throw new InvalidDataException($"image folder data set: cannot resize `{file}` to {size}x{size}");
        int channels = color == ColorMode.Rgb ? 3 : 1;
        var result = new byte[channels * size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                var p = resized.GetPixel(x, y);
                int at = y * size + x;
                if (color == ColorMode.Rgb)
                {
                    result[at] = p.Red;
                    result[size * size + at] = p.Green;
                    result[2 * size * size + at] = p.Blue;
                }
                else
                    // ITU-R BT.601 luma, as PIL's convert("L").
                    result[at] = (byte)Math.Round(0.299 * p.Red + 0.587 * p.Green + 0.114 * p.Blue);
            }
        return result;
    }

    /// <summary>
    /// Decodes every pixel or fails: a truncated file decodes partially (SkiaSharp fills the rest)
    /// and would be trained on silently, so anything short of a complete decode is an error.
    /// </summary>
    private static SKBitmap DecodeWhole(string file)
    {
        using var codec = SKCodec.Create(file)
            ?? throw new InvalidDataException($"image folder data set: cannot decode `{file}` as PNG or JPEG");
        var info = codec.Info.WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.Success) return bitmap;
        bitmap.Dispose();
        throw new InvalidDataException(result == SKCodecResult.IncompleteInput
            ? $"image folder data set: `{file}` is truncated (its image data ends early); replace or remove it"
            : $"image folder data set: cannot decode `{file}` ({result}); replace or remove it");
    }
}
