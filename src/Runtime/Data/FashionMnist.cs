using System;
using System.Collections.Generic;
using System.IO;

namespace MiDistill.Runtime.Data;

/// <summary>Fashion-MNIST (Xiao et al. 2017): 60k training and 10k test images, 28x28 grey, 10 classes.</summary>
public static class FashionMnist
{
    /// <summary>Where Debian's and Ubuntu's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DefaultPath = "/usr/share/datasets/fashion-mnist";

    public const int NumClasses = 10;
    /// <summary>The training split holds exactly 6,000 images of every class, the test split 1,000.</summary>
    public const int TrainImagesPerClass = 6000, TestImagesPerClass = 1000;

    /// <summary>The published pixel mean and standard deviation (of x/255 over the training split).</summary>
    public static ChannelStatistics Statistics { get; } = new(new[] { 0.2860f }, new[] { 0.3530f });

    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    private const string Fix = "install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu) or set `data { path \"...\" }` in the recipe";

    public static (ImageSet Train, ImageSet Test) Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Fashion-MNIST folder {directory} does not exist; {Fix}");
        var train = LoadPair(directory, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
        var test = LoadPair(directory, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
        return (train, test);
    }

    /// <summary>Reads an images file and its labels file into one set, checking they agree.</summary>
    public static ImageSet LoadPair(string imagesPath, string labelsPath, int numClasses)
    {
        var images = IdxReader.ReadImages(imagesPath);
        var bytes = IdxReader.ReadLabels(labelsPath);
        if (bytes.Length != images.Count)
            throw new InvalidDataException($"{labelsPath}: {bytes.Length} labels, but {imagesPath} holds {images.Count} images");
        var labels = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] >= numClasses)
                throw new InvalidDataException($"{labelsPath}: label {bytes[i]} at position {i} is outside 0..{numClasses - 1}");
            labels[i] = bytes[i];
        }
        return new ImageSet(images.Pixels, labels, numClasses, channels: 1, images.Rows, images.Cols, statistics: Statistics);
    }

    private static ImageSet LoadPair(string directory, string imagesName, string labelsName) =>
        LoadPair(Find(directory, imagesName), Find(directory, labelsName), NumClasses);

    // Debian ships the .gz files; a user's own copy is often decompressed.
    private static string Find(string directory, string name)
    {
        var gz = Path.Combine(directory, name + ".gz");
        if (File.Exists(gz))
            return gz;
        var raw = Path.Combine(directory, name);
        if (File.Exists(raw))
            return raw;
        throw new FileNotFoundException($"Fashion-MNIST file {gz} is missing (nor is there an uncompressed {raw}); {Fix}", gz);
    }
}
