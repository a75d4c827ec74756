using System;
using System.Linq;
using MiDistill.Runtime.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Data;

/// <summary>
/// A decoded batch becomes tensors with one copy into LibTorch's memory: no clone of the stream's
/// pooled pixel buffer on the managed heap per batch (TorchSharp's <c>tensor(array)</c> clones its
/// array, which defeated the pool), and the tensors hold exactly the batch's values.
/// </summary>
public sealed class HostTransferTests
{
    static HostTransferTests() => torch.set_num_threads(1);

    [Fact]
    public void Batch_tensors_copy_the_pooled_buffer_without_a_managed_clone()
    {
        // 64 RGB images of 64x64: a 3 MB pixel buffer per batch.
        var random = new Random(3);
        var pixels = new byte[64 * 3 * 64 * 64];
        random.NextBytes(pixels);
        var set = new ImageSet(pixels, Enumerable.Range(0, 64).Select(i => i % 10).ToArray(), 10, 3, 64, 64);
        using var stream = new BatchStream(set, new[] { Enumerable.Range(0, 64).ToArray() }, workers: 1);
        using var batch = stream.Next()!;
        using var scope = NewDisposeScope();

        long before = GC.GetAllocatedBytesForCurrentThread();
        var (images, labels) = batch.ToTensors(CPU);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 64 << 10, $"making the tensors of a {batch.Values.Length * 4 >> 20} MB batch allocated {allocated >> 10} KB on the managed heap");
        Assert.Equal(new long[] { 64, 3, 64, 64 }, images.shape);
        Assert.Equal(DeviceType.CPU, images.device.type);
        Assert.Equal(batch.Values.AsSpan(0, 64 * 3 * 64 * 64).ToArray(), images.data<float>().ToArray());
        Assert.Equal(batch.Labels, labels.data<long>().ToArray());
        // A copy: the buffer may go back to the pool and be overwritten.
        float first = images[0, 0, 0, 0].item<float>();
        batch.Values[0] += 1;
        Assert.Equal(first, images[0, 0, 0, 0].item<float>());
    }
}
