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
/// `threads`: what the default thread count costs when another process holds a core (issue 12).
/// Each configuration runs in a child process of its own (the OpenMP wait policy is read when
/// LibTorch loads), idle and with a busy-looping process started here and stopped by its id; the
/// figure is the median step time of the quickstart's teacher (tiny_28 ViT, batch 128, fwd+bwd).
/// usage: midistill-bench threads [--steps 30] [--rounds 2]
/// </summary>
internal static class Threads
{
    public static int Run(string[] args)
    {
        int Option(string name, int fallback) => BenchArgs.Int(args, name, fallback);
        int steps = Option("--steps", 30);
        if (args.Contains("--child")) return Child(Option("--threads", 0), steps);

        int cores = Environment.ProcessorCount;
        // "inherit" runs the child with the variable removed, so MiDistill's own default applies.
        var configurations = new (string Name, string Threads, string? WaitPolicy)[]
        {
            ($"{cores} threads, OpenMP's default (active) wait policy", cores.ToString(CultureInfo.InvariantCulture), "ACTIVE"),
            ("1 thread, active wait policy", "1", "ACTIVE"),
            ($"{cores} threads, MiDistill's default now (OMP_WAIT_POLICY unset: PASSIVE)", cores.ToString(CultureInfo.InvariantCulture), null),
        };
        int rounds = Option("--rounds", 2);
        Console.WriteLine($"threads bench: {cores} cores, tiny_28 ViT, batch 128, {steps} steps per measurement, median of {rounds} interleaved rounds");
        Console.WriteLine("| configuration | idle: ms/step | one core busy: ms/step | busy / idle |");
        Console.WriteLine("|---|---|---|---|");
        var idle = configurations.ToDictionary(c => c.Name, _ => new List<double>());
        var busy = configurations.ToDictionary(c => c.Name, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            foreach (var c in configurations) idle[c.Name].Add(Measure(c.Threads, c.WaitPolicy, steps));
            using (Hog())
                foreach (var c in configurations) busy[c.Name].Add(Measure(c.Threads, c.WaitPolicy, steps));
        }
        foreach (var c in configurations)
        {
            double i = Median(idle[c.Name]), b = Median(busy[c.Name]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {c.Name} | {i:0} | {b:0} | {b / i:0.00} |"));
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

    private static double Measure(string threads, string? waitPolicy, int steps)
    {
        var psi = new ProcessStartInfo("dotnet", $"{typeof(Threads).Assembly.Location} threads --child --threads {threads} --steps {steps}")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        if (waitPolicy is not null) psi.Environment[ThreadDefaults.WaitPolicyVariable] = waitPolicy;
        else psi.Environment.Remove(ThreadDefaults.WaitPolicyVariable);
        using var child = Process.Start(psi)!;
        string output = child.StandardOutput.ReadToEnd(), error = child.StandardError.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"threads child failed: {error}");
        return double.Parse(output.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
    }

    private static int Child(int threads, int steps)
    {
        // Touching the runtime first runs its module initializer, as a recipe run does before LibTorch loads.
        Console.Error.WriteLine($"wait policy {ThreadDefaults.NativeWaitPolicy()}");
        torch.set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
        torch.manual_seed(0);
        using var model = new VisionTransformer(new VitOptions(), 10);
        using var x = randn(128, 1, 28, 28);
        using var y = randint(0, 10, new long[] { 128 });
        var times = new List<double>();
        for (int s = 0; s < steps + 3; s++)
        {
            var watch = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                model.zero_grad();
                nn.functional.cross_entropy(model.forward(x), y).backward();
            }
            if (s >= 3) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine(Median(times).ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
