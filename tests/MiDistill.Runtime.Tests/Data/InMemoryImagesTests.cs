using System;
using System.Linq;
using System.Security.Cryptography;
using MiDistill.Runtime.Data;

namespace MiDistill.Runtime.Tests.Data;

/// <summary>
/// The in-memory store across its chunk boundaries, with a chunk size small enough to cross several
/// with a few images (the real chunk is 1 GiB): every image comes back as written, through the
/// store, a set and a streamed batch, and its content hash (the teacher cache's key) does not
/// depend on how the pixels are chunked.
/// </summary>
public sealed class InMemoryImagesTests
{
    private const int Count = 7, Channels = 3, Height = 5, Width = 4, ImageSize = Channels * Height * Width; // 60 bytes

    private static byte Pixel(int image, int offset) => (byte)((image * 31 + offset * 7 + 1) % 251);

    private static byte[] ImageOf(int image) => Enumerable.Range(0, ImageSize).Select(k => Pixel(image, k)).ToArray();

    private static InMemoryImages Filled(long chunkBytes)
    {
        var store = InMemoryImages.Allocate(Count, Channels, Height, Width, chunkBytes);
        // Written out of order, so that a write spilling over a boundary would be overwritten or would overwrite.
        foreach (int i in new[] { 3, 0, 6, 1, 5, 2, 4 }) store.Write(i, ImageOf(i));
        return store;
    }

    [Theory]
    // 150-byte chunks hold 2 whole images (120 bytes): 2 + 2 + 2 + 1, boundaries after images 1, 3 and 5.
    [InlineData(150, new long[] { 120, 120, 120, 60 })]
    // Exactly 3 images per chunk.
    [InlineData(180, new long[] { 180, 180, 60 })]
    // A chunk smaller than one image still holds one: an image never straddles two chunks.
    [InlineData(50, new long[] { 60, 60, 60, 60, 60, 60, 60 })]
    public void Images_on_either_side_of_a_chunk_boundary_come_back_as_written(long chunkBytes, long[] lengths)
    {
        Assert.Equal(lengths, InMemoryImages.ChunkLengths(Count, ImageSize, chunkBytes));
        var store = Filled(chunkBytes);
        Assert.Equal(lengths.Length, store.ChunkCount);

        var read = new byte[ImageSize];
        for (int i = 0; i < Count; i++)
        {
            store.Read(i, read);
            Assert.True(read.SequenceEqual(ImageOf(i)), $"image {i} (chunks of {chunkBytes} bytes) does not read back as written");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Read(Count, read));

        // The content hash, as the teacher cache key takes it, equals that of the same pixels in one array.
        var whole = new InMemoryImages(Enumerable.Range(0, Count).SelectMany(ImageOf).ToArray(), Count, Channels, Height, Width);
        Assert.Equal(1, whole.ChunkCount);
        Assert.Equal(Hash(whole), Hash(store));

        // Through a set and a streamed batch that crosses every boundary, backwards.
        var set = new ImageSet(store, new int[Count], 1, statistics: new ChannelStatistics(new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f }));
        var order = Enumerable.Range(0, Count).Reverse().ToArray();
        using var stream = new BatchStream(set, new[] { order }, workers: 1);
        using var batch = stream.Next()!;
        for (int p = 0; p < order.Length; p++)
            for (int k = 0; k < ImageSize; k++)
                Assert.Equal(Pixel(order[p], k) / 255f, batch.Values[p * ImageSize + k], 6);
    }

    private static string Hash(IImageStore store)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < store.Count; i++) store.AppendContent(i, hash);
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
