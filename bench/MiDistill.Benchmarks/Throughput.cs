using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Benchmarks;

/// <summary>`throughput`: forward+backward images/s, TorchSharp against PyTorch, interleaved.</summary>
internal static class Throughput
{
    public static int Run(string[] args)
    {
        // Forward+backward images/s of each architecture with TorchSharp and with PyTorch (Debian's
        // python3-torch, /usr/bin/python3) on the same machine, same model, same batch. Rounds alternate
        // between the two so that load from other processes hits both alike; the ratio per round is the
        // figure to trust on a shared machine. FLOPs: 2 x multiply-adds of the forward pass, x3 for
        // forward+backward; peak = cores x clock x FLOPs/cycle, the vector width read from the CPU's
        // flags (CpuPeak: AVX-512 64, AVX2 + FMA 32) unless --flops-per-cycle says otherwise.
        //
        // usage: midistill-bench throughput [--models a,b] [--batch 64] [--steps 3] [--rounds 3] [--threads 2] [--layout nchw|channels_last|compare] [--ghz 2.1] [--flops-per-cycle N]
        var opts = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--")).ToDictionary(p => p.a[2..], p => args[p.i + 1]);
        string Opt(string k, string d) => opts.TryGetValue(k, out var v) ? v : d;
        var models = Opt("models", "vit_tiny_patch16_224,vit_small_patch16_224,tiny_28,resnet18,mobilenet_v2,efficientnetv2_b0,cnn_small").Split(',');
        int batch = int.Parse(Opt("batch", "64"), CultureInfo.InvariantCulture);
        int steps = int.Parse(Opt("steps", "3"), CultureInfo.InvariantCulture);
        int rounds = int.Parse(Opt("rounds", "3"), CultureInfo.InvariantCulture);
        int threads = int.Parse(Opt("threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        double ghz = double.Parse(Opt("ghz", "2.1"), CultureInfo.InvariantCulture);
        // channels_last: the input batch in NHWC strides (both sides), so the CNNs' convolutions run channels-last;
        // compare: TorchSharp in NCHW against TorchSharp in channels-last, interleaved (no PyTorch).
        string layout = Opt("layout", "nchw");
        bool channelsLast = layout == "channels_last", compare = layout == "compare";
        var (flopsPerCycle, assumed) = CpuPeak.FromFlags(CpuPeak.Flags());
        if (opts.TryGetValue("flops-per-cycle", out var given))
            (flopsPerCycle, assumed) = (double.Parse(given, CultureInfo.InvariantCulture), "--flops-per-cycle " + given);
        double peak = threads * ghz * 1e9 * flopsPerCycle;
        // The script imports tools/reference/make_fixtures.py, so it runs from the source tree.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MiDistill.sln"))) root = root.Parent;
        var script = Path.Combine(root?.FullName ?? throw new InvalidOperationException("run from inside the repository"), "bench", "MiDistill.Benchmarks", "torch_bench.py");

        torch.set_num_threads(threads);
        Console.WriteLine($"threads {threads}, batch {batch}, {steps} steps x {rounds} interleaved rounds; peak {peak / 1e9:0} GFLOP/s ({threads} cores x {ghz} GHz x {flopsPerCycle} FLOPs/cycle)");
        Console.WriteLine($"vector width assumed: {assumed}; layout {layout}");
        Console.WriteLine(compare
            ? "| model | GFLOPs/img (fwd) | TorchSharp NCHW img/s | TorchSharp channels-last img/s | time ratio NCHW/channels-last | NCHW % of peak |"
            : "| model | GFLOPs/img (fwd) | TorchSharp img/s | PyTorch img/s | time ratio TorchSharp/PyTorch | TorchSharp % of peak |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var name in models)
        {
            var (model, channels, image) = Build(name);
            using (model)
            {
                double flops = ForwardFlops(model, channels, image);
                var ts = new double[rounds];
                var py = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    ts[r] = TorchSharpRate(model, channels, image, channelsLast);
                    if (compare)
                    {
                        py[r] = TorchSharpRate(model, channels, image, true);
                        continue;
                    }
                    (py[r], double pyFlops) = PyTorchRate(name);
                    // TorchSharp's hooks fire only through call(), which the models skip; count on the PyTorch side.
                    if (model is not VisionTransformer) flops = pyFlops;
                }
                var ratios = ts.Zip(py, (t, p) => p / t).Order().ToArray();
                double tsMedian = BenchStats.Median(ts), pyMedian = BenchStats.Median(py);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {(flops > 0 ? (flops / 1e9).ToString("0.000", CultureInfo.InvariantCulture) : "n/a")} | {tsMedian:0.0} | {pyMedian:0.0} | {BenchStats.Median(ratios):0.00} (range {ratios[0]:0.00}-{ratios[^1]:0.00}) | {(flops > 0 ? (100 * 3 * flops * tsMedian / peak).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "n/a")} |"));
            }
        }

        return 0;

        (nn.Module<Tensor, Tensor>, int, int) Build(string name)
        {
            torch.manual_seed(0);
            VitOptions Vit(int image, int patch, int ch, int dim, int depth, int heads, double ratio) => new()
            { Name = name, ImageSize = image, PatchSize = patch, InChannels = ch, EmbedDim = dim, Depth = depth, Heads = heads, MlpRatio = ratio };
            return name switch
            {
                "vit_tiny_patch16_224" => (new VisionTransformer(Vit(224, 16, 3, 192, 12, 3, 4).Spec, 10), 3, 224),
                "vit_small_patch16_224" => (new VisionTransformer(Vit(224, 16, 3, 384, 12, 6, 4).Spec, 10), 3, 224),
                "tiny_28" => (new VisionTransformer(Vit(28, 4, 1, 64, 4, 4, 2).Spec, 10), 1, 28),
                "resnet18" => (new ResNet(64, imageNetStem: false, 1, 10), 1, 28),
                "mobilenet_v2" => (new MobileNetV2(1.0, imageNetStem: false, 1, 10), 1, 28),
                "efficientnetv2_b0" => (new EfficientNetV2(1.0, imageNetStem: false, 1, 10), 1, 28),
                "cnn_small" => (new SmallCnn(16, 1, 10), 1, 28),
                _ => throw new ArgumentException($"unknown model {name}"),
            };
        }

        double TorchSharpRate(nn.Module<Tensor, Tensor> model, int channels, int image, bool nhwc)
        {
            model.train();
            using var nchw = randn(batch, channels, image, image);
            using var x = nhwc ? Conv.ChannelsLast(nchw) : nchw.alias();
            using var y = randint(0, 10, new long[] { batch });
            void Step()
            {
                using var scope = NewDisposeScope();
                model.zero_grad();
                nn.functional.cross_entropy(model.forward(x), y).backward();
            }
            Step();
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++) Step();
            return batch * steps / watch.Elapsed.TotalSeconds;
        }

        (double Rate, double Flops) PyTorchRate(string name)
        {
            var psi = new ProcessStartInfo("/usr/bin/python3", $"{script} {name} {batch} {steps} {threads}{(channelsLast ? " channels_last" : "")}") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"PyTorch side failed: {error}");
            using var doc = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            return (doc.RootElement.GetProperty("images_per_s").GetDouble(), doc.RootElement.GetProperty("forward_flops").GetDouble());
        }

        // Multiply-adds of convolutions and linear layers (and attention's two matmuls) per image, x2.
        double ForwardFlops(nn.Module<Tensor, Tensor> model, int channels, int image)
        {
            double macs = 0;
            if (model is VisionTransformer vit)
            {
                var s = vit.state_dict();
                long dim = vit.EmbedDim, tokens = s["pos_embed"].shape[1], hidden = s["blocks.0.mlp.fc1.weight"].shape[0];
                long patchMacs = s["patch_embed.proj.weight"].numel() * (tokens - 1);
                macs = patchMacs + vit.Depth * (tokens * dim * (3 * dim + dim + 2 * hidden) + 2 * tokens * tokens * dim) + dim * 10;
                return 2 * macs;
            }
            return 0; // CNNs: counted by the PyTorch side, see above

        }
    }
}
