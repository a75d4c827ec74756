using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using SkiaSharp;

namespace MiDistill.Runtime.Tests.Data;

/// <summary>
/// The streaming input pipeline on a generated folder of 300 small PNG and JPEG files, each of its
/// own known colour, so every decoded image can be traced back to its file without the code under test.
/// </summary>
public sealed class StreamingTests : IDisposable
{
    private const int Classes = 4, PerClass = 75, Size = 8;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-stream-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    // Image n has red 10 + 12 (n % 20) and green 10 + 15 (n / 20): steps far wider than JPEG's error on a flat colour.
    private static SKColor ColourOf(int n) => new((byte)(10 + 12 * (n % 20)), (byte)(10 + 15 * (n / 20)), 128);

    private static int NumberOf(double red, double green) =>
        (int)Math.Round((green - 10) / 15) * 20 + (int)Math.Round((red - 10) / 12);

    /// <summary>Writes the folder (every third file a JPEG) and returns its training files in the loader's order, with labels.</summary>
    private (List<string> Files, int[] Labels) Folder()
    {
        var files = new List<string>();
        var labels = new List<int>();
        for (int split = 0; split < 2; split++)
            for (int c = 0; c < Classes; c++)
            {
                var folder = Path.Combine(_root, split == 0 ? "train" : "test", $"class{c}");
                Directory.CreateDirectory(folder);
                for (int i = 0; i < (split == 0 ? PerClass : 2); i++)
                {
                    int n = c * PerClass + i;
                    bool jpeg = n % 3 == 0;
                    var file = Path.Combine(folder, $"{n:D3}.{(jpeg ? "jpg" : "png")}");
                    using var bitmap = new SKBitmap(Size + n % 5, Size + n % 3);
                    bitmap.Erase(ColourOf(n));
                    using var image = SKImage.FromBitmap(bitmap);
                    using var data = image.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 95);
                    File.WriteAllBytes(file, data.ToArray());
                    if (split == 0) { files.Add(file); labels.Add(c); }
                }
            }
        return (files, labels.ToArray());
    }

    private static float[][] Stream(ImageSet set, int[][] plan, int workers)
    {
        using var stream = new BatchStream(set, plan, workers);
        return stream.All().Select(b => b.Values).ToArray();
    }

    [Fact]
    public void The_same_seed_gives_identical_batches_with_1_2_and_4_workers()
    {
        Folder();
        var (train, _, _) = ImageFolder.Load(_root, Size, 3);
        var plan = BatchPlan.Epoch(train.Count, 16, shuffle: true, seed: 3, epoch: 1);
        var one = Stream(train, plan, 1);
        Assert.Equal(plan.Length, one.Length);
        foreach (int workers in new[] { 2, 4 })
        {
            var other = Stream(train, plan, workers);
            Assert.Equal(one.Length, other.Length);
            for (int b = 0; b < one.Length; b++) Assert.Equal(one[b], other[b]);
        }
        // And as decoded on the training thread without workers.
        var inline = Stream(train, plan, 0);
        for (int b = 0; b < one.Length; b++) Assert.Equal(one[b], inline[b]);
    }

    [Fact]
    public void An_epoch_visits_every_image_exactly_once_with_its_own_pixels_and_label()
    {
        var (files, labels) = Folder();
        var (train, _, _) = ImageFolder.Load(_root, Size, 3);
        var mean = train.Statistics.Mean;
        var std = train.Statistics.Std;
        var seen = new List<int>();
        var plan = BatchPlan.Epoch(train.Count, 7, shuffle: true, seed: 11, epoch: 0);
        using var stream = new BatchStream(train, plan, 2);
        int plane = Size * Size;
        foreach (var batch in stream.All())
            for (int i = 0; i < batch.Count; i++)
            {
                // Back to 0..255 from the normalisation, at the centre pixel of the red and green planes.
                int at = i * 3 * plane + plane / 2 + Size / 2;
                double red = (batch.Values[at] * std[0] + mean[0]) * 255, green = (batch.Values[at + plane] * std[1] + mean[1]) * 255;
                int n = NumberOf(red, green);
                seen.Add(n);
                Assert.Equal(n / PerClass, (int)batch.Labels[i]);
                Assert.Equal($"{n:D3}", Path.GetFileNameWithoutExtension(files[batch.Indices[i]]));
            }
        Assert.Equal(Enumerable.Range(0, Classes * PerClass), seen.Order());
        Assert.Equal(labels, train.Labels);
    }

    [Fact]
    public void At_most_the_window_of_batches_is_in_flight_and_nothing_is_kept_without_a_cache()
    {
        var (files, labels) = Folder();
        var store = new ImageFiles(files, Size, 3, cacheBytes: 0);
        var set = new ImageSet(store, labels, Classes, statistics: new ChannelStatistics(new[] { 0.5f, 0.5f, 0.5f }, new[] { 0.25f, 0.25f, 0.25f }));
        var plan = BatchPlan.Epoch(set.Count, 4, shuffle: true, seed: 0, epoch: 0);
        Assert.True(plan.Length > 10 * 4);
        using var stream = new BatchStream(set, plan, workers: 2);
        Assert.Equal(4, stream.Window);
        int count = 0;
        foreach (var _ in stream.All())
        {
            Thread.Sleep(2); // a slow training step: the workers run ahead until the window is full
            count++;
        }
        Assert.Equal(plan.Length, count);
        Assert.Equal(stream.Window, stream.PeakInFlight);
        Assert.False(store.Caching);
        Assert.Equal(0, store.CachedImages);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Disposed_batches_reuse_window_plus_one_buffers_and_a_reused_buffer_never_changes_a_tensor(int workers)
    {
        Folder();
        var (train, _, _) = ImageFolder.Load(_root, Size, 3);
        var plan = BatchPlan.Epoch(train.Count, 4, shuffle: true, seed: 5, epoch: 0);   // 75 full batches
        var expected = Stream(train, plan, 1);
        var tensors = new List<TorchSharp.torch.Tensor>();
        var buffers = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        try
        {
            using var stream = new BatchStream(train, plan, workers);
            while (stream.Next() is { } batch)
                using (batch)
                {
                    buffers.Add(batch.Values);
                    tensors.Add(batch.ToTensors().Images);
                }
            // Window + 1 when the workers got that far ahead (1 without workers); never one per batch.
            Assert.InRange(buffers.Count, 1, stream.Window + 1);
            Assert.Equal(buffers.Count, stream.BuffersAllocated);
            // Each tensor still holds its own batch after its buffer was refilled by later ones.
            Assert.Equal(expected.Length, tensors.Count);
            for (int b = 0; b < expected.Length; b++) Assert.Equal(expected[b], tensors[b].data<float>().ToArray());
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
    }

    [Fact]
    public void A_small_folder_is_decoded_once_into_its_cache()
    {
        var (files, labels) = Folder();
        var store = new ImageFiles(files, Size, 3, cacheBytes: 1 << 20);
        var set = new ImageSet(store, labels, Classes);
        Assert.True(store.Caching);
        var first = set.ReadPixels();
        Assert.Equal(files.Count, store.CachedImages);
        File.Delete(files[5]);   // read from the cache from now on
        Assert.Equal(first, set.ReadPixels());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    public void A_corrupt_file_met_while_streaming_is_an_error_naming_it(string damage)
    {
        var (files, labels) = Folder();
        var bad = files[200];
        if (damage == "garbage") File.WriteAllText(bad, "not an image");
        else
        {
            using var bitmap = new SKBitmap(64, 64);
            bitmap.Erase(SKColors.Gray);
            using var image = SKImage.FromBitmap(bitmap);
            var bytes = image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
            File.WriteAllBytes(bad, bytes[..(bytes.Length * 2 / 3)]);
        }
        var set = new ImageSet(new ImageFiles(files, Size, 3), labels, Classes, statistics: new ChannelStatistics(new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f }));
        var plan = BatchPlan.Epoch(set.Count, 10, shuffle: false, seed: 0, epoch: 0);
        using var stream = new BatchStream(set, plan, workers: 2);
        var e = Assert.Throws<InvalidDataException>(() => stream.All().Count());
        Assert.Contains($"`{bad}`", e.Message);
        Assert.Contains(damage == "garbage" ? "cannot decode" : "is truncated", e.Message);
    }

    /// <summary>A store of 20,000 RGB 224x224 images (3.0 GB of pixels) that makes each image's pixels from its index, allocating nothing.</summary>
    private sealed class GeneratedStore : IImageStore
    {
        public int Count => 20_000;
        public int Channels => 3;
        public int Height => 224;
        public int Width => 224;
        public static byte Pixel(long image, int offset) => (byte)((image * 7 + offset) % 251);
        public void Read(int index, Span<byte> destination)
        {
            for (int k = 0; k < destination.Length; k++) destination[k] = Pixel(index, k);
        }
        public void AppendContent(int index, IncrementalHash hash) => throw new NotSupportedException();
    }

    [Fact]
    public void A_set_beyond_2_GiB_of_pixels_is_addressed_with_64_bit_offsets()
    {
        const long imageSize = 3 * 224 * 224;                         // 150,528 bytes
        Assert.True(20_000 * imageSize > int.MaxValue);
        // Chunks hold floor(2^30 / 150,528) = 7,133 whole images: 7,133 + 7,133 + 5,734.
        Assert.Equal(7_133, InMemoryImages.ImagesPerChunk(imageSize));
        Assert.Equal(new[] { 7_133 * imageSize, 7_133 * imageSize, 5_734 * imageSize }, InMemoryImages.ChunkLengths(20_000, imageSize));
        Assert.All(InMemoryImages.ChunkLengths(20_000, imageSize), length => Assert.True(length <= int.MaxValue));
        // Image 19,999 starts at byte 3,010,409,472 of the set: chunk 2, at (19,999 - 14,266) x 150,528 = 862,977,024.
        Assert.Equal((2, 862_977_024L), InMemoryImages.Locate(19_999, imageSize, 7_133));
        Assert.Equal((1, 0L), InMemoryImages.Locate(7_133, imageSize, 7_133));

        // Through a set, a subset and a streamed batch: the last images come back as themselves.
        var store = new GeneratedStore();
        var set = new ImageSet(store, new int[store.Count], 1, statistics: new ChannelStatistics(new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f }));
        var tail = set.Subset(new[] { 19_999, 14_266, 0 });
        using var stream = new BatchStream(tail, new[] { new[] { 0, 1, 2 } }, workers: 1);
        var batch = stream.Next()!;
        long[] images = { 19_999, 14_266, 0 };
        foreach (var (image, position) in images.Select((m, p) => (m, p)))
            foreach (int offset in new[] { 0, 1, 77_777, (int)imageSize - 1 })
                Assert.Equal(GeneratedStore.Pixel(image, offset) / 255f, batch.Values[position * imageSize + offset], 6);
    }
}
