using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace MiDistill.Runtime.Training;

/// <summary>
/// Cumulative CPU time of the cores this process may run on, and of this process, in clock ticks
/// (Linux's USER_HZ, the unit of both /proc/stat and /proc/self/stat).
/// </summary>
/// <param name="Total">Busy and idle time of the allowed cores together.</param>
/// <param name="Busy">Their time running anything: user, nice, system, interrupts, and steal (a hypervisor's other guests).</param>
/// <param name="Own">This process's user and system time, all its threads.</param>
/// <param name="Cores">How many cores were counted.</param>
internal readonly record struct CpuTimes(long Total, long Busy, long Own, int Cores);

/// <summary>
/// How much of the machine other processes use, from Linux's /proc: the busy time of the cores this
/// process may run on, less this process's own time. Read twice, it says how many cores were taken
/// by others in between, whatever this process itself did (spinning OpenMP threads included).
/// </summary>
internal static class CpuLoad
{
    /// <summary>A reading now, or null where /proc is not there or not readable (another OS, a sandbox).</summary>
    public static CpuTimes? Read()
    {
        try
        {
            string stat = File.ReadAllText("/proc/stat"), self = File.ReadAllText("/proc/self/stat");
            var allowed = ReadAllowed();
            return Parse(stat, self, allowed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The cores other processes kept busy between two readings (0 when nothing else ran).</summary>
    public static double OtherCores(CpuTimes before, CpuTimes after)
    {
        long total = after.Total - before.Total;
        if (total <= 0 || after.Cores == 0) return 0;
        // Elapsed ticks per core: the counters of n cores advance n ticks per tick of the clock.
        double elapsed = (double)total / after.Cores;
        double others = (after.Busy - before.Busy - (after.Own - before.Own)) / elapsed;
        return Math.Clamp(others, 0, after.Cores);
    }

    /// <summary>
    /// A reading from the texts of /proc/stat and /proc/self/stat, counting the per-core lines of
    /// <paramref name="allowed"/> only (all of them when null): a container or a Slurm job sees every
    /// core of the host there, but runs on its own.
    /// </summary>
    public static CpuTimes Parse(string procStat, string selfStat, IReadOnlySet<int>? allowed)
    {
        long total = 0, busy = 0;
        int cores = 0;
        foreach (var line in procStat.Split('\n'))
        {
            // "cpu3 user nice system idle iowait irq softirq steal guest guest_nice"; the line "cpu " is the sum.
            if (!line.StartsWith("cpu", StringComparison.Ordinal) || line.Length < 4 || !char.IsAsciiDigit(line[3])) continue;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int core = int.Parse(fields[0].AsSpan(3), CultureInfo.InvariantCulture);
            if (allowed is not null && !allowed.Contains(core)) continue;
            long Field(int i) => i < fields.Length ? long.Parse(fields[i], CultureInfo.InvariantCulture) : 0;
            // Guest time is already inside user and nice, so it is not added again.
            long used = Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8);
            busy += used;
            total += used + Field(4) + Field(5);
            cores++;
        }
        // "pid (comm) state ppid ...": the command name may hold spaces and parentheses, so the
        // fields are counted from the last ')'; utime and stime are fields 14 and 15 of the line.
        var rest = selfStat[(selfStat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long own = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
        return new CpuTimes(total, busy, own, cores);
    }

    /// <summary>A kernel CPU list such as "0-3,8,10-11".</summary>
    public static IReadOnlySet<int> ParseCpuList(string list)
    {
        var cores = new HashSet<int>();
        foreach (var part in list.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-');
            int first = int.Parse(ends[0], CultureInfo.InvariantCulture), last = ends.Length > 1 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : first;
            for (int c = first; c <= last; c++) cores.Add(c);
        }
        return cores;
    }

    // The affinity mask (taskset, Slurm's cgroups) from /proc/self/status; null when it is not listed.
    private static IReadOnlySet<int>? ReadAllowed()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        return line is null ? null : ParseCpuList(line["Cpus_allowed_list:".Length..]);
    }
}
