using System;
using System.Diagnostics;
using System.Linq;
using MiDistill.Runtime.Information;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Benchmarks;

/// <summary>`information`: the Renyi estimator and MI per block.</summary>
internal static class Information
{
    public static int Run(string[] args)
    {
        // Benchmarks of the MI diagnostics. Usage: midistill-bench information [renyi|blocks|all] [--threads N] [--n N]
        // Figures depend on what else the machine runs; report them with that caveat.
        var mode = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "all";
        int threads = Option("--threads", 2);
        int n = Option("--n", 1000);
        torch.set_num_threads(threads);
        Console.WriteLine($"MiDistill bench: mode {mode}, {torch.get_num_threads()} thread(s), n = {n}, {Environment.ProcessorCount} cores visible");

        if (mode is "renyi" or "all") Renyi(n);
        if (mode is "blocks" or "all") Blocks(n);
        return 0;

        int Option(string name, int fallback) => BenchArgs.Int(args, name, fallback);

        static void Renyi(int n)
        {
            // I(X; F) for n samples of 768-dimensional features: Gram matrices and three n x n eigendecompositions.
            var estimator = new RenyiMi(1.01, new MedianKernelWidth(1));
            using var x = randn(n, 768, generator: new torch.Generator(1));
            using var f = (x.narrow(1, 0, 384).tanh() + 0.5 * randn(n, 384, generator: new torch.Generator(2)));
            estimator.Estimate(x, f); // warm-up: first LAPACK call allocates its workspace
            var times = new double[5];
            double bits = 0;
            for (int i = 0; i < times.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                bits = estimator.Estimate(x, f);
                times[i] = watch.Elapsed.TotalSeconds;
            }
            Array.Sort(times);
            Console.WriteLine($"renyi: I(X;F), n = {n}, 768-d features: median {times[2]:0.000}s, min {times[0]:0.000}s, max {times[^1]:0.000}s over {times.Length} runs ({bits:0.000} bits); target < 2 s");
        }

        static void Blocks(int n)
        {
            // MI after each of the 24 sub-blocks of a 12-block ViT (ViT-Ti width 192, 3 heads, on 28x28 images
            // with patch 4: the CPU-sized teacher) for n probe images, as the mi_per_block analysis runs it.
            var options = new VitOptions { Name = "vit_tiny_12x192_28", ImageSize = 28, PatchSize = 4, InChannels = 1, EmbedDim = 192, Depth = 12, Heads = 3, MlpRatio = 4 };
            torch.manual_seed(0);
            using var vit = new VisionTransformer(options.Spec, 10);
            vit.eval();
            using var images = randn(n, 1, 28, 28, generator: new torch.Generator(3));
            var estimator = new RenyiMi(1.01, new MedianKernelWidth(1));
            var total = Stopwatch.StartNew();
            var forward = Stopwatch.StartNew();
            using var capture = TeacherProbe.Run(vit, images, new InputAdapter(28, 1).Apply, TokenReadout.Cls);
            double forwardSeconds = forward.Elapsed.TotalSeconds;
            using var reference = estimator.Bind(images);
            var bits = capture.AfterAttention.Zip(capture.AfterMlp).SelectMany(p => new[] { reference.Estimate(p.First), reference.Estimate(p.Second) }).ToList();
            double seconds = total.Elapsed.TotalSeconds;
            Console.WriteLine($"blocks: MI per block, 12-block ViT (dim 192), {n} probe images, {bits.Count} sub-blocks: {seconds:0.0}s in all (forward {forwardSeconds:0.0}s, MI {seconds - forwardSeconds:0.0}s); target < 60 s");
        }
    }
}
