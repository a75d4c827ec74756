using System.Linq;
using MiDistill.Runtime.Data;
using TorchSharp;

namespace MiDistill.Runtime.Tests.Data;

public sealed class BatchingTests
{
    static BatchingTests() => torch.set_num_threads(1);

    [Fact]
    public void Epoch_covers_every_index_once_and_keeps_the_last_partial_batch()
    {
        var batches = BatchPlan.Epoch(10, 4, shuffle: true, seed: 3, epoch: 0);
        Assert.Equal(new[] { 4, 4, 2 }, batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b).Order());
    }

    [Fact]
    public void Shuffle_depends_on_seed_and_epoch_only()
    {
        var a = BatchPlan.Epoch(100, 16, true, seed: 3, epoch: 2).SelectMany(b => b).ToArray();
        Assert.Equal(a, BatchPlan.Epoch(100, 16, true, seed: 3, epoch: 2).SelectMany(b => b));
        Assert.NotEqual(a, BatchPlan.Epoch(100, 16, true, seed: 3, epoch: 1).SelectMany(b => b));
        Assert.NotEqual(a, BatchPlan.Epoch(100, 16, true, seed: 4, epoch: 2).SelectMany(b => b));
        Assert.Equal(Enumerable.Range(0, 5), BatchPlan.Epoch(5, 2, shuffle: false, seed: 3, epoch: 2).SelectMany(b => b));
        Assert.Empty(BatchPlan.Epoch(0, 2, true, 1, 1));
    }

    [Fact]
    public void ToTensors_normalises_and_keeps_labels()
    {
        var pixels = new byte[] { 0, 255, 51, 102, /* image 1 */ 10, 20, 30, 40 };
        var set = new ImageSet(pixels, new[] { 3, 1 }, numClasses: 4, channels: 1, height: 2, width: 2, statistics: new ChannelStatistics(new[] { 0.5f }, new[] { 0.25f }));
        using var scope = torch.NewDisposeScope();
        var (images, labels) = set.ToTensors(new[] { 0 });
        Assert.Equal(new long[] { 1, 1, 2, 2 }, images.shape);
        Assert.Equal(torch.ScalarType.Float32, images.dtype);
        Assert.Equal(torch.ScalarType.Int64, labels.dtype);
        // (x/255 - 0.5)/0.25 for x = 0, 255, 51, 102: -2, 2, -1.2, -0.4.
        var expected = new[] { -2f, 2f, -1.2f, -0.4f };
        var actual = images.data<float>().ToArray();
        for (int i = 0; i < 4; i++)
            Assert.Equal(expected[i], actual[i], 5);
        Assert.Equal(new long[] { 3 }, labels.data<long>().ToArray());
    }

    [Fact]
    public void ToTensors_orders_the_batch_as_asked()
    {
        var set = DataSplitsTests.Synthetic(3).WithStatistics(new ChannelStatistics(new[] { 0f }, new[] { 1f }));
        using var scope = torch.NewDisposeScope();
        var (images, labels) = set.ToTensors(new[] { 25, 2, 11 });
        Assert.Equal(new long[] { 3, 1, 1, 1 }, images.shape);
        Assert.Equal(new[] { 25 / 255f, 2 / 255f, 11 / 255f }, images.data<float>().ToArray());
        Assert.Equal(new long[] { 5, 2, 1 }, labels.data<long>().ToArray());
    }
}
