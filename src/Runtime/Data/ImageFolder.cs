using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MiDistill.Runtime.Data;

/// <summary>
/// Images in one folder per class: <c>root/train/&lt;class&gt;/*.png|jpg|jpeg</c> and
/// <c>root/test/&lt;class&gt;/...</c>. Classes are the train folder names in ordinal order; test must
/// have the same folders. Loading lists the files only: each image is decoded (SkiaSharp),
/// converted to grayscale or RGB and resized to size x size when a batch reads it
/// (<see cref="ImageFiles"/>), so start-up time and memory do not grow with the folder. The
/// training split's statistics come from at most <see cref="StatisticsImages"/> of its images.
/// </summary>
public static class ImageFolder
{
    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };

    /// <summary>Training images the per-channel statistics are computed from, drawn with a fixed seed when there are more.</summary>
    public const int StatisticsImages = 1000;

    /// <param name="channels">1 (grayscale) or 3 (RGB): what every image is decoded to.</param>
    /// <param name="cacheBytes">Keep decoded images when a split's fit under this many bytes (0 = never).</param>
    public static (ImageSet Train, ImageSet Test, IReadOnlyList<string> ClassNames) Load(string root, int size, int channels,
        ResizeFilter resize = ResizeFilter.Bilinear, long cacheBytes = 0)
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
        var train = LoadSplit(trainRoot, classes, size, channels, resize, cacheBytes, statistics: null);
        // The test split is normalised like the training split: no need to decode it for its own.
        var test = LoadSplit(testRoot, classes, size, channels, resize, cacheBytes, train.Statistics);
        return (train, test, classes);
    }

    private static string[] ClassFolders(string splitRoot) =>
        Directory.GetDirectories(splitRoot).Select(d => Path.GetFileName(d)!).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    private static ImageSet LoadSplit(string splitRoot, string[] classes, int size, int channels, ResizeFilter resize, long cacheBytes, ChannelStatistics? statistics)
    {
        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classes.Length; c++)
        {
            var folder = Path.Combine(splitRoot, classes[c]);
            var found = Directory.GetFiles(folder)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToList();
            // A class with no images would be trained (or tested) on nothing.
            if (found.Count == 0)
                throw new InvalidDataException($"image folder data set: class folder `{folder}` has no images (*.png, *.jpg, *.jpeg); add images or remove the folder from train/ and test/");
            files.AddRange(found);
            labels.AddRange(Enumerable.Repeat(c, found.Count));
        }
        var store = new ImageFiles(files, size, channels, resize, cacheBytes);
        return new ImageSet(store, labels.ToArray(), classes.Length, statistics: statistics ?? ChannelStatistics.Sample(store, StatisticsImages));
    }

    /// <summary>One image as bytes [C, size, size]; an undecodable file is an error naming it.</summary>
    public static byte[] Decode(string file, int size, int channels) => ImageFiles.Decode(file, size, channels);
}
