using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using MiDistill.Runtime.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Data;

/// <summary>
/// "Resident memory does not grow with the epoch" (docs/training.md, the input pipeline), measured:
/// the process's resident set (VmRSS, /proc/self/status) while an epoch far larger than the bound is
/// streamed the way the trainer consumes it (tensors made in a dispose scope per step, the batch
/// given back at once), read after a tenth of the epoch and at its end.
/// </summary>
public sealed class StreamingMemoryTests
{
    // 16,000 RGB 64x64 images: 197 MB of pixels, 786 MB of float batches over the epoch.
    private const int Images = 16_000, Side = 64, BatchSize = 64;
    // What a tenth of the epoch may add by the end; one batch is 3 MB of floats, the epoch 786 MB.
    private const long AllowedGrowthBytes = 96L << 20;

    private readonly ITestOutputHelper _log;

    public StreamingMemoryTests(ITestOutputHelper log) => _log = log;

    /// <summary>Pixels made from each image's index, allocating nothing: the epoch exists only as it streams.</summary>
    private sealed class GeneratedStore : IImageStore
    {
        public int Count => Images;
        public int Channels => 3;
        public int Height => Side;
        public int Width => Side;
        public void Read(int index, Span<byte> destination)
        {
            destination.Fill((byte)(index % 251));
            destination[0] = (byte)(index >> 8);
        }
        public void AppendContent(int index, IncrementalHash hash) => throw new NotSupportedException();
    }

    /// <summary>VmRSS of this process in bytes.</summary>
    internal static long ResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
        return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
    }

    [Fact]
    public void Resident_memory_after_the_whole_epoch_is_within_a_bound_of_what_it_was_at_a_tenth()
    {
        var set = new ImageSet(new GeneratedStore(), new int[Images], 1, statistics: new ChannelStatistics(new[] { 0.5f, 0.5f, 0.5f }, new[] { 0.25f, 0.25f, 0.25f }));
        var plan = BatchPlan.Epoch(set.Count, BatchSize, shuffle: true, seed: 1, epoch: 0);
        long epochBytes = (long)Images * 3 * Side * Side * sizeof(float);
        long atTenth = 0, peak = 0;
        long streamed = 0;
        using (var stream = new BatchStream(set, plan, workers: 2))
        {
            for (int b = 0; b < plan.Length; b++)
            {
                using (var scope = NewDisposeScope())
                {
                    var batch = stream.Next()!;
                    Tensor images;
                    using (batch) images = batch.ToTensors().Images;
                    streamed += images.shape[0];
                }
                // As the trainer does: TorchSharp's native memory is also released by finalizers.
                if ((b + 1) % 50 == 0) GC.Collect();
                if (b + 1 == plan.Length / 10) atTenth = ResidentBytes();
                if ((b + 1) % 25 == 0) peak = Math.Max(peak, ResidentBytes());
            }
        }
        long atEnd = ResidentBytes();
        Assert.Equal(Images, streamed);
        _log.WriteLine($"VmRSS at 10% of the epoch {atTenth >> 20} MB, at 100% {atEnd >> 20} MB, peak after 10% {peak >> 20} MB; the epoch's float batches {epochBytes >> 20} MB");
        Assert.True(Math.Max(atEnd, peak) - atTenth < AllowedGrowthBytes,
            $"resident memory grew from {atTenth >> 20} MB at 10% of the epoch to {atEnd >> 20} MB at its end (peak {peak >> 20} MB), " +
            $"more than the {AllowedGrowthBytes >> 20} MB allowed; the epoch's batches are {epochBytes >> 20} MB of floats");
    }
}
