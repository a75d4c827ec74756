using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Benchmarks;

/// <summary>
/// `threads`: what the thread count and OpenMP's wait policy cost when another process holds a
/// core (issue 12). Each configuration runs in a child process of its own (the wait policy is read
/// when LibTorch loads) on an idle machine, with a busy-looping process started before it, and with
/// one the child starts a third of the way through (the load arriving mid-run, which only
/// MiDistill's default can react to). The figure is the step time of the quickstart's teacher
/// (tiny_28 ViT, batch 128, forward + backward): the median, and for the late load the mean of the
/// steps after it arrived, the time to react included.
/// usage: midistill-bench threads [--steps 60] [--rounds 2] [--spins 3000,30000]
/// </summary>
internal static class Threads
{
    // OpenMP's own wait when neither variable is set: spin this many times, then sleep (libgomp's env.c).
    private const string LibgompDefaultSpins = "300000";

    public static int Run(string[] args)
    {
        int Option(string name, int fallback) => BenchArgs.Int(args, name, fallback);
        int steps = Option("--steps", 60);
        if (args.Contains("--child")) return Child(Option("--threads", 0), steps, Option("--hog-at", -1));

        int cores = Environment.ProcessorCount;
        string all = cores.ToString(CultureInfo.InvariantCulture);
        // A null policy and spin count leave the child's environment without either, so
        // MiDistill's own default applies; "0" threads is MiDistill's choice (ThreadGovernor).
        var configurations = new List<(string Name, string Threads, string? WaitPolicy, string? SpinCount)>
        {
            ($"MiDistill's default: threads from the free cores, {ThreadDefaults.Describe()}", "0", null, null),
            ("threads from the free cores, passive wait", "0", "PASSIVE", null),
            ($"{cores} threads, OpenMP's default wait (spin {LibgompDefaultSpins}, then sleep): before issue 12", all, "", LibgompDefaultSpins),
            ($"{cores} threads, active wait (spin forever)", all, "ACTIVE", null),
            ($"{cores} threads, passive wait (sleep at once): the default between the two changes of issue 12", all, "PASSIVE", null),
            ("1 thread", "1", "", LibgompDefaultSpins),
        };
        if (args.Contains("--spins"))
            foreach (var spins in args[Array.IndexOf(args, "--spins") + 1].Split(','))
                configurations.Add(($"{cores} threads, GOMP_SPINCOUNT={spins}", all, "", spins));
        int rounds = Option("--rounds", 2);
        Console.WriteLine($"threads bench: {cores} cores, tiny_28 ViT, batch 128, {steps} steps per measurement, median of {rounds} interleaved rounds");
        Console.WriteLine("| configuration | idle: ms/step (threads per round) | one core busy from the start | busy / idle | one core busy from step " + steps / 3 + " on: mean ms/step after |");
        Console.WriteLine("|---|---|---|---|---|");
        var idle = configurations.ToDictionary(c => c.Name, _ => new List<(double Ms, string Threads)>());
        var busy = configurations.ToDictionary(c => c.Name, _ => new List<(double Ms, string Threads)>());
        var late = configurations.ToDictionary(c => c.Name, _ => new List<(double Ms, string Threads)>());
        for (int r = 0; r < rounds; r++)
        {
            foreach (var c in configurations) idle[c.Name].Add(Measure(c.Threads, c.WaitPolicy, c.SpinCount, steps, hogAt: -1));
            foreach (var c in configurations) late[c.Name].Add(Measure(c.Threads, c.WaitPolicy, c.SpinCount, steps, hogAt: steps / 3));
            using (Hog())
                foreach (var c in configurations) busy[c.Name].Add(Measure(c.Threads, c.WaitPolicy, c.SpinCount, steps, hogAt: -1));
        }
        // Each cell: the median over rounds, and the thread counts each round ran with (start->end where it changed).
        static double Ms(List<(double Ms, string Threads)> runs) => BenchStats.Median(runs.Select(x => x.Ms));
        static string Cell(List<(double Ms, string Threads)> runs) =>
            string.Create(CultureInfo.InvariantCulture, $"{Ms(runs):0} ({string.Join(", ", runs.Select(x => x.Threads))})");
        foreach (var c in configurations)
        {
            double i = Ms(idle[c.Name]), b = Ms(busy[c.Name]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {c.Name} | {Cell(idle[c.Name])} | {Cell(busy[c.Name])} | {b / i:0.00} | {Cell(late[c.Name])} |"));
        }
        return 0;
    }

    /// <summary>A process spinning on one core until disposed (killed by its own id).</summary>
    private static IDisposable Hog()
    {
        var hog = Process.Start(new ProcessStartInfo("/bin/sh", "-c \"while :; do :; done\"") { UseShellExecute = false })!;
        System.Threading.Thread.Sleep(500);
        return new Stopper(hog);
    }

    private sealed class Stopper(Process process) : IDisposable
    {
        public void Dispose()
        {
            process.Kill();
            process.WaitForExit();
            process.Dispose();
        }
    }

    private static (double Ms, string Threads) Measure(string threads, string? waitPolicy, string? spinCount, int steps, int hogAt)
    {
        var psi = new ProcessStartInfo("dotnet", $"{typeof(Threads).Assembly.Location} threads --child --threads {threads} --steps {steps} --hog-at {hogAt}")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        // An empty policy sets none (MiDistill keeps what the environment says, and sets its own only when there is nothing).
        psi.Environment.Remove(ThreadDefaults.WaitPolicyVariable);
        psi.Environment.Remove(ThreadDefaults.SpinCountVariable);
        if (waitPolicy is { Length: > 0 }) psi.Environment[ThreadDefaults.WaitPolicyVariable] = waitPolicy;
        if (spinCount is not null) psi.Environment[ThreadDefaults.SpinCountVariable] = spinCount;
        using var child = Process.Start(psi)!;
        string output = child.StandardOutput.ReadToEnd(), error = child.StandardError.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"threads child failed: {error}");
        var last = output.Trim().Split('\n')[^1].Split(' ');
        return (double.Parse(last[0], CultureInfo.InvariantCulture), last[1] == last[2] ? last[1] : $"{last[1]}->{last[2]}");
    }

    private static int Child(int threads, int steps, int hogAt)
    {
        Console.Error.WriteLine(ThreadDefaults.Describe());
        var governor = ThreadGovernor.Start(threads, Console.Error);
        int startThreads = torch.get_num_threads();
        torch.manual_seed(0);
        using var model = new VisionTransformer((new VitOptions()).Spec, 10);
        using var x = randn(128, 1, 28, 28);
        using var y = randint(0, 10, new long[] { 128 });
        var times = new List<double>();
        IDisposable? hog = null;
        try
        {
            for (int s = 0; s < steps + 3; s++)
            {
                if (hogAt >= 0 && s == hogAt + 3) hog = Hog();
                var watch = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    model.zero_grad();
                    nn.functional.cross_entropy(model.forward(x), y).backward();
                }
                governor?.CheckIfDue();
                if (s >= 3) times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        finally
        {
            hog?.Dispose();
        }
        double figure = hogAt >= 0 ? times.Skip(hogAt).Average() : BenchStats.Median(times);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{figure} {startThreads} {torch.get_num_threads()}"));
        return 0;
    }
}
