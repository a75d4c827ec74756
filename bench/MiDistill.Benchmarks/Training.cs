using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Benchmarks;

/// <summary>
/// `training`: the costs issue 4 bounds, on the quickstart's teacher (tiny_28 ViT) and real
/// Fashion-MNIST batches: a SAM step against a plain step (target at most 2.1x), the share of
/// step time spent building batches (target below 5%), and resident memory at step 100 and at the
/// last step of a long run through the real trainer (target: flat).
/// usage: midistill-bench training [--threads 2] [--batch 32] [--steps 2000] [--rounds 5]
/// </summary>
internal static class Training
{
    public static int Run(string[] args)
    {
        int Option(string name, int fallback) => BenchArgs.Int(args, name, fallback);
        int threads = Option("--threads", Environment.ProcessorCount);
        int batch = Option("--batch", 32);
        int steps = Option("--steps", 2000);
        int rounds = Option("--rounds", 5);
        torch.set_num_threads(threads);
        var (train, _) = FashionMnist.Load(FashionMnist.DefaultPath);
        Console.WriteLine($"training bench: tiny_28 ViT, batch {batch}, {threads} thread(s)");

        SamCost(train, batch, rounds);
        LongRun(train, batch, steps);
        return 0;
    }

    private static VitOptions Teacher() => new() { Name = "tiny_28", ImageSize = 28, PatchSize = 4, InChannels = 1, EmbedDim = 64, Depth = 4, Heads = 4, MlpRatio = 2 };

    /// <summary>Plain AdamW steps and SAM(AdamW) steps on the same batches, alternating in rounds.</summary>
    private static void SamCost(ImageSet train, int batch, int rounds)
    {
        const int StepsPerRound = 20;
        torch.manual_seed(0);
        using var model = new VisionTransformer(Teacher().Spec, 10);
        using var plain = OptimizerFactory.Create(new AdamWOptions(1e-3, 0.9, 0.999, 0.05), model.parameters());
        using var sam = new Sam(model.parameters(), OptimizerFactory.Create(new AdamWOptions(1e-3, 0.9, 0.999, 0.05), model.parameters()), 0.05);
        var indices = Enumerable.Range(0, batch).ToArray();

        double Time(optim.Optimizer optimizer)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < StepsPerRound; i++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = train.ToTensors(indices);
                Tensor Closure()
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.forward(x), y);
                    loss.backward();
                    return loss;
                }
                if (optimizer is Sam s) s.step(Closure);
                else { Closure(); optimizer.step(); }
            }
            return watch.Elapsed.TotalSeconds / StepsPerRound;
        }

        Time(plain); Time(sam); // warm-up
        var ratios = new List<double>();
        double plainSum = 0, samSum = 0;
        for (int r = 0; r < rounds; r++)
        {
            double p = Time(plain), s = Time(sam);
            plainSum += p; samSum += s;
            ratios.Add(s / p);
        }
        ratios.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sam: plain step {1000 * plainSum / rounds:0.0} ms, SAM step {1000 * samSum / rounds:0.0} ms; ratio median {ratios[rounds / 2]:0.00} (range {ratios[0]:0.00}-{ratios[^1]:0.00}) over {rounds} interleaved rounds; target <= 2.1"));
    }

    /// <summary>The real trainer (dispose scopes, periodic GC, crop+flip augmentation) over 100-step epochs.</summary>
    private static void LongRun(ImageSet train, int batch, int steps)
    {
        int epochs = Math.Max(1, steps / 100);
        var subset = train.Subset(Enumerable.Range(0, 100 * batch).ToArray());
        var folder = Path.Combine(Path.GetTempPath(), "midistill-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var run = RunFolder.Create(folder, "bench", "training", "", "[]");
            var memory = new List<(int Step, double Mb)>();
            var dataFractions = new List<double>();
            var context = new RunContext(CPU, TextWriter.Null, run, new ExperimentHooks
            {
                EpochCompleted = report =>
                {
                    using var self = Process.GetCurrentProcess();
                    memory.Add((report.Epoch * 100, self.WorkingSet64 / 1048576.0));
                    dataFractions.Add(report.Metrics["data_frac"]);
                },
            });
            torch.manual_seed(0);
            using var model = new VisionTransformer(Teacher().Spec, 10);
            using var optimizer = OptimizerFactory.Create(new AdamWOptions(1e-3, 0.9, 0.999, 0.05), model.parameters());
            var watch = Stopwatch.StartNew();
            new Trainer(context).Fit(new FitSpec
            {
                Stage = "bench", Variant = "training", Model = model, Optimizer = optimizer, BaseLearningRate = 1e-3,
                Schedule = new ConstantLr(), Train = subset, Epochs = epochs, BatchSize = batch, Seed = 0, RunSeed = 0,
                Loss = (x, y) => { var logits = model.forward(x); return (nn.functional.cross_entropy(logits, y), logits); },
                Augment = new Runtime.Augment.BatchAugmenter(new AugmentOptions[] { new CropAugment(2), new FlipAugment() }, 10, subset.Statistics.Black()),
            });
            double seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"data: building batches (with crop+flip) took {100 * dataFractions.Average():0.00}% of step time (max epoch {100 * dataFractions.Max():0.00}%) over {epochs * 100} steps; target < 5%"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"memory: resident {memory[0].Mb:0} MB at step {memory[0].Step}, {memory[^1].Mb:0} MB at step {memory[^1].Step} ({memory.Max(m => m.Mb):0} MB peak); {seconds:0} s, {epochs * 100 * batch / seconds:0} images/s"));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
