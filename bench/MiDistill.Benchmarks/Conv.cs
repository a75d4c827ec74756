using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using static TorchSharp.torch;

namespace MiDistill.Benchmarks;

/// <summary>
/// `conv`: one operator, conv2d forward+backward (input and weight gradients) at ResNet-18's shapes
/// (small stem, 28x28 input), TorchSharp (LibTorch 2.10) against PyTorch 1.13 (conv_bench.py),
/// interleaved in rounds, in the default layout (NCHW) and channels-last. TorchSharp 0.107 has no
/// memory_format argument; a channels-last tensor is made as PyTorch makes it, by its strides
/// (permute to NHWC, contiguous, permute back), which LibTorch's convolution recognises.
/// </summary>
internal static class Conv
{
    private static readonly (int In, int Out, int Size, int Stride, int Kernel)[] Shapes =
    [
        (1, 64, 28, 1, 3), (64, 64, 28, 1, 3), (64, 128, 28, 2, 3), (128, 128, 14, 1, 3), (64, 128, 28, 2, 1),
        (128, 256, 14, 2, 3), (256, 256, 7, 1, 3), (256, 512, 7, 2, 3), (512, 512, 4, 1, 3),
    ];

    // usage: midistill-bench conv [--batch 32] [--threads 1] [--reps 3] [--rounds 3]
    public static int Run(string[] args)
    {
        var opts = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--")).ToDictionary(p => p.a[2..], p => args[p.i + 1]);
        int Opt(string k, int d) => opts.TryGetValue(k, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : d;
        int batch = Opt("batch", 32), threads = Opt("threads", 1), reps = Opt("reps", 3), rounds = Opt("rounds", 3);
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MiDistill.sln"))) root = root.Parent;
        var script = Path.Combine(root?.FullName ?? throw new InvalidOperationException("run from inside the repository"), "bench", "MiDistill.Benchmarks", "conv_bench.py");
        set_num_threads(threads);
        Console.WriteLine($"conv2d forward+backward, batch {batch}, {threads} thread(s), median of {reps} reps, {rounds} interleaved rounds; CPU flags: {CpuPeak.FromFlags(CpuPeak.Flags()).Item2}");
        // [shape, layout, round]
        var ts = new double[Shapes.Length, 2, rounds];
        var py = new double[Shapes.Length, 2, rounds];
        for (int r = 0; r < rounds; r++)
        {
            for (int s = 0; s < Shapes.Length; s++)
                for (int l = 0; l < 2; l++) ts[s, l, r] = Time(Shapes[s], l == 1);
            var psi = new ProcessStartInfo("/usr/bin/python3", $"{script} {batch} {threads} {reps}") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["LD_LIBRARY_PATH"] = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"PyTorch side failed: {error}");
            using var doc = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            for (int s = 0; s < Shapes.Length; s++)
            {
                var pair = doc.RootElement.GetProperty("ms").GetProperty(Key(Shapes[s]));
                py[s, 0, r] = pair[0].GetDouble();
                py[s, 1, r] = pair[1].GetDouble();
            }
        }

        Console.WriteLine("| conv (in-out@size/stride,kernel) | TorchSharp NCHW ms | PyTorch NCHW ms | ratio TS/PT NCHW | TorchSharp channels-last ms | PyTorch channels-last ms | ratio TS/PT channels-last | TS channels-last / TS NCHW |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        double[] totals = new double[4];
        for (int s = 0; s < Shapes.Length; s++)
        {
            double[] Row(double[,,] a, int l) => Enumerable.Range(0, rounds).Select(r => a[s, l, r]).ToArray();
            string Ratio(double[] num, double[] den)
            {
                var q = num.Zip(den, (n, d) => n / d).Order().ToArray();
                return string.Create(CultureInfo.InvariantCulture, $"{BenchStats.Median(q):0.00} ({q[0]:0.00}-{q[^1]:0.00})");
            }
            var (tn, pn, tc, pc) = (Row(ts, 0), Row(py, 0), Row(ts, 1), Row(py, 1));
            totals[0] += BenchStats.Median(tn); totals[1] += BenchStats.Median(pn); totals[2] += BenchStats.Median(tc); totals[3] += BenchStats.Median(pc);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Key(Shapes[s])} | {BenchStats.Median(tn):0.0} | {BenchStats.Median(pn):0.0} | {Ratio(tn, pn)} | {BenchStats.Median(tc):0.0} | {BenchStats.Median(pc):0.0} | {Ratio(tc, pc)} | {Ratio(tc, tn)} |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| sum of medians | {totals[0]:0} | {totals[1]:0} | {totals[0] / totals[1]:0.00} | {totals[2]:0} | {totals[3]:0} | {totals[2] / totals[3]:0.00} | {totals[2] / totals[0]:0.00} |"));
        return 0;

        double Time((int In, int Out, int Size, int Stride, int Kernel) shape, bool channelsLast)
        {
            manual_seed(0);
            var x = randn(batch, shape.In, shape.Size, shape.Size);
            var w = randn(shape.Out, shape.In, shape.Kernel, shape.Kernel);
            if (channelsLast)
            {
                x = ChannelsLast(x);
                w = ChannelsLast(w);
            }
            x.requires_grad_(true);
            w.requires_grad_(true);
            void Step()
            {
                using var scope = NewDisposeScope();
                x.grad?.Dispose(); x.grad = null;
                w.grad?.Dispose(); w.grad = null;
                nn.functional.conv2d(x, w, null, strides: new long[] { shape.Stride, shape.Stride }, padding: new long[] { shape.Kernel / 2, shape.Kernel / 2 }).sum().backward();
            }
            Step();
            var times = new double[reps];
            for (int i = 0; i < reps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                Step();
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            x.Dispose(); w.Dispose();
            return BenchStats.Median(times);
        }
    }

    /// <summary>The same values with NHWC strides (what PyTorch's <c>.to(memory_format=torch.channels_last)</c> makes).</summary>
    public static Tensor ChannelsLast(Tensor t)
    {
        using var nhwc = t.permute(0, 2, 3, 1).contiguous();
        return nhwc.permute(0, 3, 1, 2);
    }

    private static string Key((int In, int Out, int Size, int Stride, int Kernel) s) => $"{s.In}-{s.Out}@{s.Size}/s{s.Stride}k{s.Kernel}";
}
