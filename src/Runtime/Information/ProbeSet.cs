using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Data;

namespace MiDistill.Runtime.Information;

/// <summary>
/// The fixed probe images of the MI diagnostics: a class-stratified, seeded draw from the test or the
/// validation split, never from the images the teacher is fine-tuned on. Every variant of a run
/// with the same data settings gets the same probe images, so their estimates compare.
/// </summary>
public static class ProbeSet
{
    /// <summary>At most <paramref name="count"/> images of <paramref name="split"/>, class-stratified (<see cref="Stratified"/>).</summary>
    public static ImageSet Select(ImageSet split, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(split);
        return split.Subset(Stratified(split, count, seed));
    }

    /// <summary>Round-robin over the classes, each class in a seeded random order: at most <paramref name="count"/> indices.</summary>
    public static int[] Stratified(ImageSet set, int count, int seed)
    {
        var pools = Enumerable.Range(0, set.NumClasses)
            .Select(c => new Queue<int>(Seeds.Shuffled(set.IndicesOf(c), new Random(Seeds.Derive(seed, 7001, c)))))
            .ToList();
        var chosen = new List<int>(Math.Min(count, set.Count));
        while (chosen.Count < count && pools.Any(p => p.Count > 0))
        {
            foreach (var pool in pools)
            {
                if (chosen.Count == count) break;
                if (pool.Count > 0) chosen.Add(pool.Dequeue());
            }
        }
        chosen.Sort();
        return chosen.ToArray();
    }
}
