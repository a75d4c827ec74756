using System;

namespace MiDistill.Runtime.Data;

public static class BatchPlan
{
    /// <summary>
    /// Index batches covering 0..count-1 once. With <paramref name="shuffle"/> the order depends only on
    /// (seed, epoch), so a resumed run sees the same batches as an uninterrupted one. The last batch
    /// may be smaller: with few-shot data, dropping it would drop a sizeable part of the labels.
    /// </summary>
    public static int[][] Epoch(int count, int batchSize, bool shuffle, int seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var order = new int[count];
        for (int i = 0; i < count; i++)
            order[i] = i;
        if (shuffle)
            Seeds.Shuffle(order, new Random(Seeds.Derive(seed, SeedStreams.Batches, epoch)));

        var batches = new int[(count + batchSize - 1) / batchSize][];
        for (int b = 0; b < batches.Length; b++)
            batches[b] = order.AsSpan(b * batchSize, Math.Min(batchSize, count - b * batchSize)).ToArray();
        return batches;
    }
}

internal static class SeedStreams
{
    public const int Selection = 1;
    public const int Validation = 2;
    public const int Upstream = 3;
    public const int Test = 4;
    public const int Batches = 5;
    public const int Reserve = 6;
    public const int Statistics = 7;
}
