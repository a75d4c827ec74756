using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.Training;

public sealed class ThreadGovernorTests
{
    // Two readings of a 4-core host where this process may use cores 1 and 2 (hand-computed):
    // core 1: busy 100+0+50+0+0+10 = 160 -> 360 (+200), idle+iowait 700+40 = 740 -> 780 (+40);
    // core 2: busy 10+5+5+0+0+0 = 20 -> 120 (+100), idle 900 -> 1040 (+140).
    // Cores 0 and 3 change too but are not ours. Own utime+stime 30+20 = 50 -> 150 (+100).
    private const string StatBefore = """
        cpu  9999 0 0 0 0 0 0 0 0 0
        cpu0 500 0 0 100 0 0 0 0 0 0
        cpu1 100 0 50 700 40 0 10 0 0 0
        cpu2 10 5 5 900 0 0 0 0 0 0
        cpu3 7 0 0 1 0 0 0 0 0 0
        intr 1 2 3
        """;
    private const string StatAfter = """
        cpu  99999 0 0 0 0 0 0 0 0 0
        cpu0 900 0 0 100 0 0 0 0 0 0
        cpu1 250 0 90 740 40 0 20 0 0 0
        cpu2 90 5 25 1040 0 0 0 0 0 0
        cpu3 700 0 0 1 0 0 0 0 0 0
        """;
    // The command name holds a space and a parenthesis, as a process may name itself.
    private const string SelfBefore = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 30 20 0 0 20 0 9 0 1 1 1 1";
    private const string SelfAfter = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 90 60 0 0 20 0 9 0 1 1 1 1";

    [Fact]
    public void The_others_load_is_the_allowed_cores_busy_time_less_this_processs_own()
    {
        var allowed = CpuLoad.ParseCpuList("1-2");
        var before = CpuLoad.Parse(StatBefore, SelfBefore, allowed);
        var after = CpuLoad.Parse(StatAfter, SelfAfter, allowed);
        Assert.Equal(new CpuTimes(Total: 160 + 740 + 20 + 900, Busy: 180, Own: 50, Cores: 2), before);
        // Total +480 over 2 cores = 240 ticks elapsed; busy +300, own +100: others kept 200/240 of a core.
        Assert.Equal(200.0 / 240, CpuLoad.OtherCores(before, after), 12);
    }

    [Fact]
    public void Every_line_counts_when_the_affinity_is_unknown_and_lists_are_read_like_the_kernels()
    {
        Assert.Equal(4, CpuLoad.Parse(StatBefore, SelfBefore, allowed: null).Cores);
        Assert.Equal(new HashSet<int> { 0, 1, 2, 3, 8, 10, 11 }, CpuLoad.ParseCpuList("0-3,8,10-11\n"));
    }

    [Theory]
    [InlineData(2, 2, 0.02, 2)] // an idle machine's background
    [InlineData(2, 2, 0.29, 2)]
    [InlineData(2, 2, 0.35, 1)] // a core shared with steady work costs more than leaving it
    [InlineData(2, 2, 1.00, 1)]
    [InlineData(2, 2, 2.00, 1)] // never fewer than one
    [InlineData(8, 8, 3.10, 5)] // three cores taken, a tenth of a fourth
    [InlineData(8, 8, 3.40, 4)]
    [InlineData(8, 4, 0.00, 4)] // a CPU quota below the cores allowed caps the count
    public void The_thread_count_is_the_cores_others_leave(int allowed, int limit, double others, int expected) =>
        Assert.Equal(expected, ThreadGovernor.Choose(allowed, limit, others));

    [Fact]
    public void Threads_go_at_the_first_busy_check_and_come_back_after_two_free_ones()
    {
        // A 2-core machine, read once per window: each reading advances 2x100 ticks, `busy` of them
        // by others (this process's own time stays 0).
        long total = 0, busy = 0;
        var readings = new Queue<double>([0.0, /* checks: */ 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        CpuTimes Next(double others)
        {
            total += 200;
            busy += (long)(others * 100);
            return new CpuTimes(total, busy, 0, 2);
        }
        var now = TimeSpan.Zero;
        var set = new List<int>();
        var output = new StringWriter();
        var governor = new ThreadGovernor(2, 2, Next(0), () => Next(readings.Dequeue()), set.Add, () => now, output);

        var counts = new List<int>();
        for (int check = 0; check < 8; check++)
        {
            governor.CheckIfDue(); // within the window: nothing is read
            now += ThreadGovernor.Window;
            governor.CheckIfDue();
            counts.Add(governor.Threads);
        }
        // 0 others -> 2; 1 -> 1 at once; stays; 0 once -> still 1; 1 cancels the raise; 0, 0 -> 2.
        Assert.Equal([2, 1, 1, 1, 1, 1, 2, 2], counts);
        Assert.Equal([1, 2], set);
        Assert.Contains("threads: 2 -> 1 (other processes are using 1.0 of 2 cores)", output.ToString());
        Assert.Contains("threads: 1 -> 2 (other processes are using 0.0 of 2 cores)", output.ToString());
    }

    [Fact]
    public void A_process_spinning_on_a_core_is_seen_as_another_processs_load()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var hog = Process.Start(new ProcessStartInfo("/bin/sh", "-c \"while :; do :; done\"") { UseShellExecute = false })!;
        try
        {
            System.Threading.Thread.Sleep(200);
            var before = CpuLoad.Read()!.Value;
            // This process spins too, on purpose: its own time must not count as others' load.
            var watch = Stopwatch.StartNew();
            while (watch.ElapsedMilliseconds < 1000) { }
            var after = CpuLoad.Read()!.Value;
            // The hog holds a core, or a fair share of one when this process runs other tests at
            // the same time (at least half: it competes with at most three busy threads on two
            // cores); this process's spin, a whole core, is not counted.
            double others = CpuLoad.OtherCores(before, after);
            Assert.InRange(others, 0.4, after.Cores);
            Assert.True(ThreadGovernor.Choose(after.Cores, after.Cores, others) < after.Cores,
                $"{others:0.00} of {after.Cores} cores busy elsewhere, yet every core was chosen");
        }
        finally
        {
            hog.Kill();
            hog.WaitForExit();
        }
    }

    [Fact]
    public void A_run_that_leaves_the_threads_to_MiDistill_says_what_it_chose()
    {
        if (!OperatingSystem.IsLinux()) return;
        var root = Path.Combine(Path.GetTempPath(), "midistill-governor-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new ExperimentOptions
            {
                Recipe = "governed",
                Teacher = new TeacherOptions
                {
                    Model = new VitOptions { Name = "micro", PatchSize = 7, EmbedDim = 16, Depth = 1, Heads = 2 },
                    Pretrain = new PretrainOptions { Classes = [0, 1], Epochs = 1, MaxImages = 64 },
                },
                Data = new DataOptions { Classes = [2, 3], Regime = new FewShotRegime(PerClass: 8), ValidationFraction = 0, MaxTestImages = 32 },
                Finetune = new FinetuneOptions { Epochs = 1, BatchSize = 8 },
                Distill = new DistillOptions { Epochs = 1, BatchSize = 8 },
                Run = new RunOptions { Threads = 0, OutputDirectory = Path.Combine(root, "runs"), CacheDirectory = Path.Combine(root, "cache") },
            };
            var output = new StringWriter();
            Experiment.Run([options], new RunRequest { Output = output });
            // The header's count is one per core the others left free: at least one, at most every core.
            var header = output.ToString().Split('\n')[0];
            var match = System.Text.RegularExpressions.Regex.Match(header, @", (\d+) thread\(s\) \(chosen from the free cores: other processes used \d+\.\d of (\d+); OpenMP");
            Assert.True(match.Success, header);
            Assert.InRange(int.Parse(match.Groups[1].Value), 1, Environment.ProcessorCount);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
