using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Export;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Benchmarks;

/// <summary>
/// `deploy`: each built-in student (its recipe defaults, 28x28 grayscale, 10 classes) in ONNX Runtime
/// against TorchSharp's evaluation mode on the CPU, batch 1 and 64, 1 and 2 threads: latency
/// (batch 1) and throughput (batch 64) as ratios measured in one run, the two engines alternating
/// round by round so that load from other processes falls on both; and the .onnx file sizes.
/// </summary>
internal static class Deploy
{
    public static int Run(string[] args)
    {
        int rounds = BenchArgs.Int(args, "--rounds", 7);
        var students = new (string Name, StudentOptions Options)[]
        {
            ("cnn_small", new SmallCnnOptions()),
            ("resnet18", new ResNetOptions()),
            ("mobilenet_v2", new MobileNetV2Options()),
            ("efficientnetv2_b0", new EfficientNetV2Options()),
        };
        var folder = Directory.CreateTempSubdirectory("midistill-deploy-bench-").FullName;
        try
        {
            Console.WriteLine($"ONNX Runtime vs TorchSharp eval, CPU, 28x28 grayscale, 10 classes; median of {rounds} alternating rounds");
            Console.WriteLine($"{"student",-18} {"file",9} {"threads",7} {"batch",5} {"TorchSharp ms",13} {"ORT ms",8} {"ORT speed-up",12} {"ORT img/s",10}");
            foreach (var (name, options) in students)
            {
                var contract = new OnnxInputContract(1, 28, 1, new[] { 0.286f }, new[] { 0.353f });
                using var model = options.Create(1, 10);
                model.eval();
                var path = Path.Combine(folder, name + ".onnx");
                OnnxExporter.Export(model, contract, 10, new Dictionary<string, string>(), path);
                var size = new FileInfo(path).Length;
                foreach (int threads in new[] { 1, 2 })
                {
                    torch.set_num_threads(threads);
                    using var onnx = OnnxModel.Load(path, threads);
                    foreach (int batch in new[] { 1, 64 })
                    {
                        var pixels = Enumerable.Range(0, batch * 28 * 28).Select(i => (float)((i * 7919 % 256) / 255.0)).ToArray();
                        using var input = tensor(pixels).reshape(batch, 1, 28, 28).sub(0.286f).div(0.353f);
                        int repeats = batch == 1 ? 50 : 4;
                        // Warm-up: kernels chosen, memory pools filled.
                        Torch(model, input, 2);
                        onnx.Run(pixels, batch);
                        var torchMs = new List<double>();
                        var ortMs = new List<double>();
                        for (int r = 0; r < rounds; r++)
                        {
                            torchMs.Add(Torch(model, input, repeats));
                            var watch = Stopwatch.StartNew();
                            for (int i = 0; i < repeats; i++) onnx.Run(pixels, batch);
                            ortMs.Add(watch.Elapsed.TotalMilliseconds / repeats);
                        }
                        double t = BenchStats.Median(torchMs), o = BenchStats.Median(ortMs);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{name,-18} {size / 1024.0,7:0.0}KB {threads,7} {batch,5} {t,13:0.000} {o,8:0.000} {t / o,11:0.00}x {batch * 1000 / o,10:0}"));
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return 0;
    }

    private static double Torch(nn.Module<Tensor, Tensor> model, Tensor input, int repeats)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.call(input);
        }
        return watch.Elapsed.TotalMilliseconds / repeats;
    }
}
