using System;
using System.Collections.Generic;

namespace MiDistill.Runtime.Data;

/// <summary>Deterministic sampling helpers shared by the splits and the batch plan.</summary>
internal static class Seeds
{
    // Each purpose draws from its own stream, so changing one setting (say the test cap) leaves the
    // other samples (the few-shot images) as they were. SplitMix64 finalisation spreads nearby inputs.
    public static int Derive(int seed, int stream, int substream = 0)
    {
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL
                            ^ (ulong)(uint)stream * 0xBF58476D1CE4E5B9UL
                            ^ (ulong)(uint)substream * 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>Fisher-Yates, in place, with <see cref="System.Random"/> so results do not depend on the runtime's shuffle.</summary>
    public static void Shuffle(int[] items, Random random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    public static int[] Shuffled(IReadOnlyList<int> items, Random random)
    {
        var copy = new int[items.Count];
        for (int i = 0; i < copy.Length; i++)
            copy[i] = items[i];
        Shuffle(copy, random);
        return copy;
    }
}
