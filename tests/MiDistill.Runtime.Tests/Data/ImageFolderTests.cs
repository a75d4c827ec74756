using System;
using System.IO;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using SkiaSharp;

namespace MiDistill.Runtime.Tests.Data;

public sealed class ImageFolderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-imgfolder-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    // A solid-colour PNG, encoded by SkiaSharp.
    private void Png(string split, string cls, string name, SKColor color, int size = 6)
    {
        var folder = Path.Combine(_root, split, cls);
        Directory.CreateDirectory(folder);
        using var bitmap = new SKBitmap(size, size);
        bitmap.Erase(color);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(folder, name), data.ToArray());
    }

    private void Layout()
    {
        Png("train", "cat", "a.png", new SKColor(200, 10, 20));
        Png("train", "cat", "b.png", new SKColor(200, 10, 20));
        Png("train", "bird", "a.png", new SKColor(0, 0, 255));
        Png("test", "cat", "a.png", new SKColor(200, 10, 20));
        Png("test", "bird", "a.png", new SKColor(0, 0, 255));
    }

    [Fact]
    public void Classes_come_from_folder_names_in_ordinal_order_and_images_are_resized_and_converted()
    {
        Layout();
        var (train, test, names) = ImageFolder.Load(_root, 4, 3);
        Assert.Equal(new[] { "bird", "cat" }, names);
        Assert.Equal(new[] { 0, 1, 1 }, train.Labels);
        Assert.Equal((3, 4, 4), (train.Channels, train.Height, train.Width));
        Assert.Equal(2, test.Count);
        var cat = train.Image(1);
        Assert.Equal(200, cat[0]);          // red plane
        Assert.Equal(10, cat[16]);          // green plane
        Assert.Equal(20, cat[32]);          // blue plane

        var (gray, _, _) = ImageFolder.Load(_root, 5, 1);
        Assert.Equal((1, 5, 5), (gray.Channels, gray.Height, gray.Width));
        Assert.Equal((byte)Math.Round(0.299 * 200 + 0.587 * 10 + 0.114 * 20), gray.Image(1)[12]);
        Assert.Equal((byte)Math.Round(0.114 * 255), gray.Image(0)[0]);
    }

    [Fact]
    public void The_image_folder_source_loads_both_splits_at_its_size()
    {
        Layout();
        var (train, test, names) = new ImageFolderSource(8, ColorMode.Grayscale).Load(_root);
        Assert.NotNull(names);
        Assert.Equal(3, train.Count);
        Assert.Equal(8, test.Height);
    }

    [Fact]
    public void An_undecodable_image_is_an_error_naming_the_file()
    {
        Layout();
        var bad = Path.Combine(_root, "train", "cat", "broken.png");
        File.WriteAllText(bad, "not a png");
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(_root, 4, 3));
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void A_truncated_image_is_an_error_naming_the_file_not_a_partial_image()
    {
        Layout();
        Png("train", "cat", "big.png", new SKColor(90, 90, 90), size: 64);
        var file = Path.Combine(_root, "train", "cat", "big.png");
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length * 2 / 3)]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(_root, 4, 3));
        Assert.Contains($"`{file}` is truncated", e.Message);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("test")]
    public void An_empty_class_folder_is_an_error_naming_it(string split)
    {
        Layout();
        Directory.CreateDirectory(Path.Combine(_root, "train", "dog"));
        Directory.CreateDirectory(Path.Combine(_root, "test", "dog"));
        if (split == "test") Png("train", "dog", "a.png", SKColors.Brown);
        else Png("test", "dog", "a.png", SKColors.Brown);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(_root, 4, 3));
        Assert.Contains($"class folder `{Path.Combine(_root, split, "dog")}` has no images", e.Message);
    }

    [Fact]
    public void A_test_class_that_train_lacks_is_an_error_naming_it()
    {
        Layout();
        Png("test", "dog", "a.png", SKColors.Brown);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(_root, 4, 3));
        Assert.Contains($"`{Path.Combine(_root, "test", "dog")}` is a class that", e.Message);
    }

    [Fact]
    public void A_missing_folder_is_an_error_naming_it()
    {
        Png("train", "cat", "a.png", SKColors.Red);
        var e = Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(_root, 4, 3));
        Assert.Contains(Path.Combine(_root, "test"), e.Message);

        Png("test", "dog", "a.png", SKColors.Red);
        e = Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(_root, 4, 3));
        Assert.Contains(Path.Combine(_root, "test", "cat"), e.Message);
    }
}
