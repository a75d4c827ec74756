using System;
using System.IO;
using System.IO.Compression;
using MiDistill.Runtime.Data;

namespace MiDistill.Runtime.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("midistill-idx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Reads_the_installed_fashion_mnist_headers()
    {
        var dir = FashionMnist.DefaultPath;
        var train = IdxReader.ReadImages(Path.Combine(dir, "train-images-idx3-ubyte.gz"));
        Assert.Equal((60000, 28, 28), (train.Count, train.Rows, train.Cols));
        Assert.Equal(60000 * 28 * 28, train.Pixels.Length);
        var test = IdxReader.ReadImages(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"));
        Assert.Equal((10000, 28, 28), (test.Count, test.Rows, test.Cols));

        var labels = IdxReader.ReadLabels(Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        var counts = new int[10];
        foreach (var label in labels)
            counts[label]++;
        Assert.Equal(60000, labels.Length);
        Assert.All(counts, c => Assert.Equal(6000, c));
        Assert.Equal(10000, IdxReader.ReadLabels(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz")).Length);
    }

    [Fact]
    public void Reads_raw_and_gzip_files_alike()
    {
        var bytes = Idx(0x803, new[] { 2, 2, 3 }, payload: 12);
        var raw = Write("raw-idx3", bytes);
        var gz = Write("packed.gz", Gzip(bytes));
        foreach (var path in new[] { raw, gz })
        {
            var images = IdxReader.ReadImages(path);
            Assert.Equal((2, 2, 3), (images.Count, images.Rows, images.Cols));
            Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, images.Pixels);
        }
    }

    [Fact]
    public void Wrong_magic_names_the_file_and_both_numbers()
    {
        var path = Write("bad-magic", Idx(0x12345678, new[] { 1, 1, 1 }, payload: 1));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: wrong magic number 0x12345678; expected 0x00000803 (IDX unsigned-byte images)", e.Message);
    }

    [Fact]
    public void Labels_file_passed_as_images_says_what_it_holds()
    {
        var path = Write("labels", Idx(0x801, new[] { 3 }, payload: 3));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: wrong magic number 0x00000801; expected 0x00000803 (IDX unsigned-byte images); the file holds 1-dimensional IDX data", e.Message);
    }

    [Fact]
    public void Truncated_payload_names_the_file_and_sizes()
    {
        var path = Write("truncated.gz", Gzip(Idx(0x803, new[] { 60000, 28, 28 }, payload: 1000)));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: truncated: the header announces 60000 images of 28x28 (47040000 bytes) but only 1000 bytes follow", e.Message);
    }

    [Fact]
    public void Truncated_labels_and_header_are_reported()
    {
        var labels = Write("labels-short", Idx(0x801, new[] { 10 }, payload: 4));
        Assert.Equal($"{labels}: truncated: the header announces 10 labels (10 bytes) but only 4 bytes follow",
            Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(labels)).Message);

        var header = Write("header-short", Idx(0x803, new[] { 10, 28 }, payload: 0));
        Assert.Equal($"{header}: truncated: the header needs 16 bytes but the file has only 12",
            Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(header)).Message);
    }

    [Fact]
    public void Extra_bytes_after_the_payload_are_an_error()
    {
        var path = Write("long", Idx(0x801, new[] { 2 }, payload: 3));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.StartsWith($"{path}: the header announces 2 labels (2 bytes) but more bytes follow", e.Message);
    }

    [Fact]
    public void Corrupt_gzip_names_the_file()
    {
        var packed = Gzip(Idx(0x803, new[] { 4, 8, 8 }, payload: 256));
        for (int i = 12; i < packed.Length - 8; i++)
            packed[i] ^= 0x5A;
        var path = Write("corrupt.gz", packed);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void Mismatched_pair_names_both_files()
    {
        var images = Write("images", Idx(0x803, new[] { 3, 1, 1 }, payload: 3));
        var labels = Write("labels", Idx(0x801, new[] { 2 }, payload: 2));
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.LoadPair(images, labels, 10));
        Assert.Equal($"{labels}: 2 labels, but {images} holds 3 images", e.Message);
    }

    [Fact]
    public void Missing_folder_and_file_say_how_to_fix()
    {
        var missing = Path.Combine(_folder, "nowhere");
        var e = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("data { path \"...\" }", e.Message);

        var f = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_folder));
        Assert.Contains(Path.Combine(_folder, "train-images-idx3-ubyte.gz"), f.Message);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", f.Message);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Idx(int magic, int[] sizes, int payload)
    {
        var stream = new MemoryStream();
        void Int(int v) => stream.Write(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
        Int(magic);
        foreach (var s in sizes)
            Int(s);
        for (int i = 0; i < payload; i++)
            stream.WriteByte((byte)i);
        return stream.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest))
            gz.Write(bytes);
        return output.ToArray();
    }
}
