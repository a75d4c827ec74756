using System;
using System.Collections.Generic;
using MiDistill.Runtime.Data;

namespace MiDistill.Runtime.Options;

/// <summary>
/// Where a recipe's images come from. A source loads its training and test splits as
/// <see cref="ImageSet"/>s; every set carries its per-channel statistics (declared by the source,
/// or computed from the training split), which normalise every batch the models see. A user's own
/// source is a record deriving from this one with <see cref="RecipeFormAttribute"/>, and may state
/// what it knows at build time with <see cref="DataSourceFactsAttribute"/>.
/// </summary>
[RecipeChoice("data_source")]
public abstract record DataSourceOptions
{
    /// <summary>
    /// Loads both splits from <paramref name="path"/> (the recipe's <c>data.path</c>; empty = the
    /// source's own default location). Train and test must have the same classes and image shape;
    /// the test split is normalised with the training split's statistics.
    /// </summary>
    public abstract LoadedData Load(string path);
}

/// <summary>A data source's two splits; <see cref="ClassNames"/> in class-index order when the source knows them.</summary>
public sealed record LoadedData(ImageSet Train, ImageSet Test, IReadOnlyList<string>? ClassNames = null);

/// <summary>Fashion-MNIST's IDX files, as Debian's <c>dataset-fashion-mnist</c> package installs them.</summary>
[RecipeForm("fashion_mnist", "Fashion-MNIST IDX files (60k train, 10k test, 28x28 grayscale, 10 classes); `path` defaults to /usr/share/datasets/fashion-mnist, where Debian's dataset-fashion-mnist package puts them.")]
[DataSourceFacts(Title = "Fashion-MNIST", Classes = FashionMnist.NumClasses, TrainImagesPerClass = FashionMnist.TrainImagesPerClass, TestImagesPerClass = FashionMnist.TestImagesPerClass)]
public sealed record FashionMnistSource : DataSourceOptions
{
    public override LoadedData Load(string path)
    {
        var (train, test) = FashionMnist.Load(string.IsNullOrEmpty(path) ? FashionMnist.DefaultPath : path);
        return new LoadedData(train, test, FashionMnist.ClassNames);
    }
}

/// <summary>Channels image-folder images are decoded to.</summary>
public enum ColorMode
{
    [RecipeName("grayscale", "One channel (ITU-R BT.601 luma).")]
    Grayscale,
    [RecipeName("rgb", "Three channels.")]
    Rgb,
}

/// <summary>How an image is resized: to the size a data source stores (timm's transforms use bicubic), or a crop window to its output size.</summary>
public enum Interpolation
{
    [RecipeName("bilinear", "Linear in each direction (2x2 neighbours).")]
    Bilinear,
    [RecipeName("bicubic", "Cubic convolution (4x4 neighbours): Catmull-Rom (Keys a = -0.5, PIL's and timm's) when an image is decoded, PyTorch's a = -0.75 on batch tensors.")]
    Bicubic,
}

/// <summary>The recipe's choices in the primitives of the data and augmentation layers, which know no recipe.</summary>
internal static class ImageChoices
{
    public static int Channels(this ColorMode color) => color switch
    {
        ColorMode.Grayscale => 1,
        ColorMode.Rgb => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, null),
    };

    public static ResizeFilter Filter(this Interpolation interpolation) => interpolation switch
    {
        Interpolation.Bilinear => ResizeFilter.Bilinear,
        Interpolation.Bicubic => ResizeFilter.Bicubic,
        _ => throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, null),
    };

    public static TorchSharp.torch.InterpolationMode Mode(this Interpolation interpolation) => interpolation switch
    {
        Interpolation.Bilinear => TorchSharp.torch.InterpolationMode.Bilinear,
        Interpolation.Bicubic => TorchSharp.torch.InterpolationMode.Bicubic,
        _ => throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, null),
    };
}

/// <summary>PNG or JPEG files in one folder per class under <c>path/train/</c> and <c>path/test/</c>.</summary>
[RecipeForm("image_folder", "PNG or JPEG images in `path/train/<class>/` and `path/test/<class>/`; classes are the folder names in ordinal order (class 0 first); images are decoded when a batch reads them, by `run.workers` background threads; normalised with the per-channel statistics of (at most 1,000 of) the training images.")]
public sealed record ImageFolderSource(
    [RecipeArg(Doc = "side the images are resized to when decoded (the teacher resizes again to its own size)", Min = 4, Max = 1024)] int ImageSize = 28,
    [RecipeArg(Doc = "channels the images are decoded to")] ColorMode Color = ColorMode.Grayscale,
    [RecipeArg(Doc = "interpolation of that resize")] Interpolation Resize = Interpolation.Bilinear,
    [RecipeArg(Doc = "keep decoded images in memory when a split fits in this many MiB (0 = decode every time a batch reads them)", Min = 0, Max = 1048576)] int CacheMb = 1024) : DataSourceOptions
{
    public override LoadedData Load(string path)
    {
        if (string.IsNullOrEmpty(path))
            throw new ArgumentException("an `image_folder` data source needs `data { path \"...\" }`: the folder holding train/ and test/");
        var (train, test, names) = ImageFolder.Load(path, ImageSize, Color.Channels(), Resize.Filter(), (long)CacheMb << 20);
        return new LoadedData(train, test, names);
    }
}
