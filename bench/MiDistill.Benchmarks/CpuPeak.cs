using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MiDistill.Benchmarks;

/// <summary>
/// FP32 FLOPs per cycle and core from the CPU's vector extensions, read from the flags the kernel
/// reports (/proc/cpuinfo), so a fraction of peak is computed against the machine it ran on: machines
/// of one kind here differ (an AVX-512 Xeon, an AVX2 EPYC), and assuming AVX-512 halves every
/// fraction on an AVX2 machine.
/// </summary>
internal static class CpuPeak
{
    /// <summary>FLOPs per cycle and a line saying what was assumed; two FMA units per core (one FMA = 2 FLOPs per lane).</summary>
    public static (double FlopsPerCycle, string Assumed) FromFlags(IReadOnlySet<string> flags)
    {
        if (flags.Contains("avx512f")) return (64, "AVX-512 (avx512f): 16 FP32 lanes x 2 FMA units x 2 = 64 FLOPs/cycle");
        if (flags.Contains("avx2") && flags.Contains("fma")) return (32, "AVX2 + FMA: 8 FP32 lanes x 2 FMA units x 2 = 32 FLOPs/cycle");
        if (flags.Contains("avx")) return (16, "AVX without FMA: 8 FP32 lanes x (1 add + 1 multiply) = 16 FLOPs/cycle");
        return (8, "SSE: 4 FP32 lanes x (1 add + 1 multiply) = 8 FLOPs/cycle");
    }

    /// <summary>The flags of the first processor in /proc/cpuinfo; empty where there is none (then SSE is assumed).</summary>
    public static IReadOnlySet<string> Flags(string cpuinfo = "/proc/cpuinfo")
    {
        if (!File.Exists(cpuinfo)) return new HashSet<string>();
        var line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return line is null ? new HashSet<string>() : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }
}
