using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Augment;
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
/// `teacher-cache` (issue 23): distillation epoch time with the teacher run every step against the
/// teacher-output cache, as a ratio within one run, on the loader bench's image folder (400x300
/// JPEGs stored at 224, streamed by the workers, random-resized-crop 224 and flip): a ViT teacher at
/// 224 (`--teacher s16` ViT-S/16, `b16` ViT-B/16, `ti16` ViT-Ti/16) into a ResNet-18 (ImageNet stem,
/// width 64) at 224, KD at T = 4. Live and cached epochs alternate in rounds (median ratio); the fill
/// is timed once, and the epochs after which the cache has paid for itself are printed.
/// usage: midistill-bench teacher-cache [--teacher s16] [--images 64] [--batch 16] [--views 4] [--top-k 10] [--rounds 2] [--threads N]
/// </summary>
internal static class TeacherCacheBench
{
    private const int Classes = 10;

    public static int Run(string[] args)
    {
        int Option(string name, int fallback) => BenchArgs.Int(args, name, fallback);
        int threads = Option("--threads", Environment.ProcessorCount), images = Option("--images", 64), batch = Option("--batch", 16);
        int views = Option("--views", 4), topK = Option("--top-k", 10), rounds = Option("--rounds", 2);
        int at = Array.IndexOf(args, "--teacher");
        string name = at >= 0 && at + 1 < args.Length ? args[at + 1] : "s16";
        var (title, dim, heads) = name switch
        {
            "b16" => ("ViT-B/16", 768, 12),
            "ti16" => ("ViT-Ti/16", 192, 3),
            _ => ("ViT-S/16", 384, 6),
        };
        torch.set_num_threads(threads);
        int workers = BatchStream.AutoWorkers(threads);
        var set = Loader.Load(Loader.Folder(Path.Combine(Path.GetTempPath(), "midistill-loader-bench"), images)).Subset(Enumerable.Range(0, images).ToArray());
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new RandomResizedCropAugment(Size: 224), new FlipAugment() }, Classes, set.Statistics.Black());
        Console.WriteLine($"teacher-cache bench: {title} teacher at 224 -> ResNet-18 at 224, {images} images, batch {batch}, KD T=4, {threads} thread(s), {workers} worker(s); cache: {views} views, top {topK} of {Classes} classes, fp16");

        torch.manual_seed(0);
        using var teacher = new VisionTransformer(new VitOptions { Name = "bench", ImageSize = 224, PatchSize = 16, InChannels = 3, EmbedDim = dim, Depth = 12, Heads = heads, MlpRatio = 4 }.Spec, Classes);
        teacher.eval();
        var teacherInput = new InputAdapter(224, 3) { DataStatistics = set.Statistics };
        var studentInput = new InputAdapter(224, 3) { DataStatistics = set.Statistics };
        var kd = new KdLossOptions(Temperature: 4, Weight: 1);

        var watch = Stopwatch.StartNew();
        var outputs = TeacherCache.Fill(set, Array.Empty<int>(), x => teacher.call(teacherInput.Apply(x)), augmenter, views, viewSeed: 1, Classes, topK, half: true,
            temperature: 4, batch, CPU, workers, TextWriter.Null);
        double fill = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fill: {fill:0.0} s for {images} x {views} views ({fill / (images * views) * 1000:0} ms a view), {outputs.Bytes / 1024.0:0.0} KiB on disk and in memory"));

        double Epoch(bool cached)
        {
            var runPath = Path.Combine(Path.GetTempPath(), "midistill-tcache-bench-" + Guid.NewGuid().ToString("N"));
            try
            {
                using var run = RunFolder.Create(runPath, "bench", "tcache", "", "[]");
                double seconds = 0;
                var resources = new MiDistill.Runtime.Training.Plan.RunResources { Device = CPU, Workers = workers, OutputDirectory = runPath, CacheDirectory = runPath };
                var context = new RunContext(resources, TextWriter.Null, run, new ExperimentHooks { EpochCompleted = r => seconds = r.Metrics["epoch_s"] });
                torch.manual_seed(1);
                using var student = new ResNet(64, imageNetStem: true, 3, Classes);
                using var optimizer = OptimizerFactory.Create(new AdamWOptions(1e-3, 0.9, 0.999, 0.05), student.parameters());
                var spec = new FitSpec
                {
                    Stage = "distill",
                    Variant = cached ? "cached" : "live",
                    Model = student,
                    Optimizer = optimizer,
                    BaseLearningRate = 1e-3,
                    Schedule = new ConstantLr(),
                    Train = set,
                    Epochs = 1,
                    BatchSize = batch,
                    Seed = 0,
                    RunSeed = 0,
                    Loss = Stages.DistillationLoss(kd, teacher.call, student.call, teacherInput, studentInput),
                    Augment = augmenter,
                };
                if (cached)
                {
                    var replay = CachedViews.Cached(outputs, augmenter, seed: 0, CPU);
                    spec = spec with { Loss = Stages.CachedLoss(kd, replay, student.call, studentInput), PrepareBatch = replay.Prepare };
                }
                new Trainer(context).Fit(spec);
                return seconds;
            }
            finally
            {
                if (Directory.Exists(runPath)) Directory.Delete(runPath, recursive: true);
            }
        }

        var ratios = new List<double>();
        double liveSum = 0, cachedSum = 0;
        for (int r = 0; r < rounds; r++)
        {
            double live = Epoch(cached: false), cached = Epoch(cached: true);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: live epoch {live:0.00} s, cached epoch {cached:0.00} s, ratio {live / cached:0.00}"));
            liveSum += live;
            cachedSum += cached;
            ratios.Add(live / cached);
        }
        ratios.Sort();
        double median = rounds % 2 == 1 ? ratios[rounds / 2] : (ratios[rounds / 2 - 1] + ratios[rounds / 2]) / 2;
        double saved = (liveSum - cachedSum) / rounds;
        var payback = saved > 0 ? string.Create(CultureInfo.InvariantCulture, $"the fill ({fill:0.0} s) is paid back after {fill / saved:0.0} epochs") : "no epoch time saved";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"teacher-cache: live epoch {liveSum / rounds:0.00} s, cached epoch {cachedSum / rounds:0.00} s; live/cached median {median:0.00} (range {ratios[0]:0.00}-{ratios[^1]:0.00}) over {rounds} interleaved rounds; {payback}"));
        return 0;
    }
}
