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
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Benchmarks;

/// <summary>
/// `loader`: the streaming input pipeline of issue 12 on a generated folder of 400x300 RGB JPEGs
/// (quality 90, about the size of an ImageNet photo), stored at 224x224.
///   throughput  decode + resize + random-resized-crop(224) + flip, images/s with 1 and 2 workers,
///               alternating with PyTorch's DataLoader + torchvision transforms (PIL) on the same files
///   wait        data wait as a share of step time, distilling a ViT-Ti/16 (224) into a ResNet-18 (112)
///   memory      resident memory over a streamed epoch (or its first --batches), and the time to the first batch, for two folder sizes
/// usage: midistill-bench loader [throughput|wait|memory|all] [--images 1024] [--rounds 2] [--small 5000] [--large 50000] [--batches 0 = the epoch] [--threads 2]
/// The folder has 500 distinct files; larger folders repeat them through symbolic links (the
/// decoder reads each link's target; the page cache holds the 500 files either way).
/// </summary>
internal static class Loader
{
    private const int Distinct = 500, Classes = 10, Stored = 224, Batch = 64;

    public static int Run(string[] args)
    {
        string part = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "all";
        int Option(string name, int fallback) => BenchArgs.Int(args, name, fallback);
        int threads = Option("--threads", Environment.ProcessorCount);
        var root = Path.Combine(Path.GetTempPath(), "midistill-loader-bench");
        Console.WriteLine($"loader bench: {Environment.ProcessorCount} cores, folder {root}, 400x300 JPEGs stored at {Stored}x{Stored} RGB (bilinear), batch {Batch}");
        if (part is "throughput" or "all") Throughput(Folder(root, Option("--images", 1024)), Option("--images", 1024), Option("--rounds", 2));
        if (part is "profile") Profile(Folder(root, Option("--images", 1024)));
        if (part is "wait" or "all") Wait(Folder(root, 512), threads);
        if (part is "memory" or "all")
            foreach (int size in new[] { Option("--small", 5000), Option("--large", 50000) })
                Memory(Folder(root, size), size, threads, Option("--batches", 0));
        return 0;
    }

    /// <summary>root/&lt;count&gt;/train/cNN/*.jpg (and a one-image test split), generated once and kept.</summary>
    internal static string Folder(string root, int count)
    {
        var originals = Path.Combine(root, "originals");
        if (!Directory.Exists(originals) || Directory.GetFiles(originals).Length < Distinct)
        {
            Directory.CreateDirectory(originals);
            var random = new Random(0);
            for (int n = 0; n < Distinct; n++)
            {
                // Smooth gradients with noise and a few shapes: compresses like a photo, not like flat colour or white noise.
                using var bitmap = new SKBitmap(400, 300);
                using (var canvas = new SKCanvas(bitmap))
                {
                    using var paint = new SKPaint { Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(400, 300),
                        new[] { new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)) }, SKShaderTileMode.Clamp) };
                    canvas.DrawRect(0, 0, 400, 300, paint);
                    for (int s = 0; s < 12; s++)
                    {
                        using var shape = new SKPaint { Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 160), IsAntialias = true };
                        canvas.DrawCircle(random.Next(400), random.Next(300), random.Next(10, 80), shape);
                    }
                }
                var pixels = bitmap.GetPixelSpan();
                var noisy = pixels.ToArray();
                for (int i = 0; i < noisy.Length; i++)
                    if (i % 4 != 3) noisy[i] = (byte)Math.Clamp(noisy[i] + random.Next(-12, 13), 0, 255);
                using var withNoise = new SKBitmap(bitmap.Info);
                System.Runtime.InteropServices.Marshal.Copy(noisy, 0, withNoise.GetPixels(), noisy.Length);
                using var image = SKImage.FromBitmap(withNoise);
                File.WriteAllBytes(Path.Combine(originals, $"{n:D4}.jpg"), image.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray());
            }
        }
        var folder = Path.Combine(root, count.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(Path.Combine(folder, "test"))) return folder;
        for (int n = 0; n < count; n++)
        {
            var dir = Path.Combine(folder, "train", $"c{n % Classes:D2}");
            Directory.CreateDirectory(dir);
            File.CreateSymbolicLink(Path.Combine(dir, $"{n:D6}.jpg"), Path.Combine(originals, $"{n % Distinct:D4}.jpg"));
        }
        for (int c = 0; c < Classes; c++)
        {
            var dir = Path.Combine(folder, "test", $"c{c:D2}");
            Directory.CreateDirectory(dir);
            File.CreateSymbolicLink(Path.Combine(dir, "0.jpg"), Path.Combine(originals, $"{c:D4}.jpg"));
        }
        return folder;
    }

    private static BatchAugmenter Augmenter(ImageSet set) =>
        new(new AugmentOptions[] { new RandomResizedCropAugment(Size: 224), new FlipAugment() }, Classes, set.Statistics.Black());

    internal static ImageSet Load(string folder) => ImageFolder.Load(folder, Stored, 3, ResizeFilter.Bilinear, cacheBytes: 0).Train;

    /// <summary>Images/s through decode, normalisation, tensors, random-resized-crop and flip; the consumer's torch ops on 1 thread.</summary>
    private static double MiDistillRate(ImageSet set, int images, int workers)
    {
        torch.set_num_threads(1);
        var plan = BatchPlan.Epoch(set.Count, Batch, shuffle: true, seed: workers, epoch: 0).Take(images / Batch).ToArray();
        var augmenter = Augmenter(set);
        var watch = Stopwatch.StartNew();
        // As the trainer streams: the workers crop and flip each image, from each step's seed.
        using var stream = new BatchStream(set, plan, workers, augment: augmenter, augmentSeed: p => BatchAugmenter.StepSeed(0, 0, p));
        int step = 0;
        while (stream.Next() is { } batch)
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch.ToTensors();
            batch.Dispose();
            var (augmented, _) = augmenter.Apply(batch, x, y, BatchAugmenter.StepSeed(0, 0, step++));
            augmented.sum().item<float>();
        }
        return plan.Sum(b => b.Length) / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Where one image's time goes, on one thread: decode and resize, normalise, and the consumer's tensor work per batch.</summary>
    private static void Profile(string folder)
    {
        torch.set_num_threads(1);
        var set = Load(folder);
        var files = ((ImageFiles)set.Store).Files.Take(256).ToArray();
        var buffer = new byte[3 * Stored * Stored];
        var watch = Stopwatch.StartNew();
        foreach (var f in files) ImageFiles.Decode(f, Stored, 3, ResizeFilter.Bilinear, buffer);
        double decode = watch.Elapsed.TotalMilliseconds / files.Length;
        var plan = new[] { Enumerable.Range(0, Batch).ToArray() };
        watch.Restart();
        using var stream = new BatchStream(set, plan, 0);
        var batch = stream.Next()!;
        double build = watch.Elapsed.TotalMilliseconds / Batch;
        var augmenter = Augmenter(set);
        watch.Restart();
        for (int r = 0; r < 4; r++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch.ToTensors();
            augmenter.Apply(x, y, r).Images.sum().item<float>();
        }
        double consume = watch.Elapsed.TotalMilliseconds / 4 / Batch;
        double Time(Action action)
        {
            var w = Stopwatch.StartNew();
            for (int r = 0; r < 4; r++) { using var scope = NewDisposeScope(); action(); }
            return w.Elapsed.TotalMilliseconds / 4 / Batch;
        }
        double toTensor = Time(() => batch.ToTensors().Images.sum().item<float>());
        double crop = Time(() => { var (x, y) = batch.ToTensors(); new BatchAugmenter(new AugmentOptions[] { new RandomResizedCropAugment(Size: 224) }, Classes, set.Statistics.Black()).Apply(x, y, 1).Images.sum().item<float>(); });
        double flip = Time(() => { var (x, y) = batch.ToTensors(); new BatchAugmenter(new AugmentOptions[] { new FlipAugment() }, Classes, set.Statistics.Black()).Apply(x, y, 1).Images.sum().item<float>(); });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tensor path, consumer parts per image: tensor {toTensor:0.00} ms, tensor+crop {crop:0.00} ms, tensor+flip {flip:0.00} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tensor path, per image: decode+resize {decode:0.00} ms, batch build (decode+normalise) {build:0.00} ms, consumer (tensor + crop + flip) {consume:0.00} ms"));

        // What training does now: the worker (here the calling thread, 0 workers) decodes, crops and
        // flips each image into the batch buffer; the consumer makes the tensor, and the augmenter
        // skips the steps the worker did.
        const int rounds = 4;
        var workerPlan = Enumerable.Repeat(plan[0], rounds).ToArray();
        watch.Restart();
        using var workerStream = new BatchStream(set, workerPlan, 0, augment: augmenter, augmentSeed: p => p);
        var built = workerStream.All().ToList();
        double workerBuild = watch.Elapsed.TotalMilliseconds / rounds / Batch;
        watch.Restart();
        for (int r = 0; r < rounds; r++)
        {
            using var scope = NewDisposeScope();
            using var b = built[r];
            var (x, y) = b.ToTensors();
            augmenter.Apply(b, x, y, r).Images.sum().item<float>();
        }
        double workerConsume = watch.Elapsed.TotalMilliseconds / rounds / Batch;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worker path (what training runs), per image: worker (decode + crop + flip + normalise) {workerBuild:0.00} ms, consumer (tensor) {workerConsume:0.00} ms"));
    }

    private static double PyTorchRate(string folder, int images, int workers)
    {
        var script = Path.Combine(RepositoryRoot(), "bench", "MiDistill.Benchmarks", "loader_bench.py");
        var psi = new ProcessStartInfo("/usr/bin/python3", $"{script} {Path.Combine(folder, "train")} {images} {workers} {Batch}") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["LD_LIBRARY_PATH"] = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
        using var process = Process.Start(psi)!;
        string output = process.StandardOutput.ReadToEnd(), error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"loader_bench.py failed: {error}");
        return double.Parse(output.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
    }

    private static void Throughput(string folder, int images, int rounds)
    {
        var set = Load(folder);
        Console.WriteLine($"\nthroughput: {images} images per measurement, {rounds} interleaved rounds (median), consumer on 1 torch thread; PyTorch: DataLoader(ImageFolder, RandomResizedCrop(224), RandomHorizontalFlip, ToTensor, Normalize), PIL decoding");
        Console.WriteLine("| workers | MiDistill img/s | PyTorch img/s | ratio MiDistill/PyTorch (per round) |");
        Console.WriteLine("|---|---|---|---|");
        MiDistillRate(set, Batch * 2, 1); // warm-up: JIT, Skia and LibTorch initialisation
        foreach (int workers in new[] { 1, 2 })
        {
            var ours = new List<double>();
            var theirs = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                ours.Add(MiDistillRate(set, images, workers));
                theirs.Add(PyTorchRate(folder, images, workers));
            }
            var ratios = ours.Zip(theirs, (a, b) => a / b).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {workers} | {BenchStats.Median(ours):0} | {BenchStats.Median(theirs):0} | {BenchStats.Median(ratios):0.00} (range {ratios[0]:0.00}-{ratios[^1]:0.00}) |"));
        }
    }

    /// <summary>The real trainer distilling a ViT-Ti/16 teacher (forward only) into a ResNet-18 (forward + backward) at 112, default threads and workers.</summary>
    private static void Wait(string folder, int threads)
    {
        torch.set_num_threads(threads);
        int workers = BatchStream.AutoWorkers(threads);
        var set = Load(folder);
        var runPath = Path.Combine(Path.GetTempPath(), "midistill-loader-wait-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var run = RunFolder.Create(runPath, "bench", "wait", "", "[]");
            var fractions = new List<(double Data, double Seconds)>();
            var resources = new MiDistill.Runtime.Training.Plan.RunResources { Device = CPU, Workers = workers, OutputDirectory = runPath, CacheDirectory = runPath };
            var context = new RunContext(resources, TextWriter.Null, run, new ExperimentHooks
            {
                EpochCompleted = r => fractions.Add((r.Metrics["data_frac"], r.Metrics["epoch_s"])),
            });
            torch.manual_seed(0);
            using var teacher = new VisionTransformer((new VitOptions { Name = "vit_tiny_patch16_224", ImageSize = 224, PatchSize = 16, InChannels = 3, EmbedDim = 192, Depth = 12, Heads = 3, MlpRatio = 4 }).Spec, Classes);
            teacher.eval();
            using var student = new ResNet(64, imageNetStem: true, 3, Classes);
            using var optimizer = OptimizerFactory.Create(new AdamWOptions(1e-3, 0.9, 0.999, 0.05), student.parameters());
            var loss = Stages.DistillationLoss(new KdLossOptions(Temperature: 4, Weight: 0.7), teacher.forward, student.forward, new InputAdapter(224, 3), new InputAdapter(112, 3));
            const int steps = 6, batch = 32;
            new Trainer(context).Fit(new FitSpec
            {
                Stage = "bench", Variant = "wait", Model = student, Optimizer = optimizer, BaseLearningRate = 1e-3,
                Schedule = new ConstantLr(), Train = set.Subset(Enumerable.Range(0, steps * batch).ToArray()), Epochs = 2, BatchSize = batch, Seed = 0, RunSeed = 0,
                Loss = loss, Augment = Augmenter(set),
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"\nwait: ViT-Ti/16 teacher at 224 + ResNet-18 (ImageNet stem) student at 112, batch {batch}, {threads} training thread(s), {workers} worker(s): data wait {100 * fractions[^1].Data:0.0}% of step time in the second epoch ({fractions[^1].Seconds / steps:0.00} s per step; first epoch {100 * fractions[0].Data:0.0}%, start-up included); target < 5%"));
        }
        finally
        {
            if (Directory.Exists(runPath)) Directory.Delete(runPath, recursive: true);
        }
    }

    /// <summary>One epoch streamed as the trainer streams it (dispose scope per batch, GC every 50), resident memory sampled along.</summary>
    private static void Memory(string folder, int count, int threads, int batches)
    {
        torch.set_num_threads(threads);
        int workers = BatchStream.AutoWorkers(threads);
        GC.Collect();
        var start = Stopwatch.StartNew();
        var set = Load(folder);
        var plan = BatchPlan.Epoch(set.Count, Batch, shuffle: true, seed: 0, epoch: 0);
        if (batches > 0) plan = plan.Take(batches).ToArray();
        var augmenter = Augmenter(set);
        using var stream = new BatchStream(set, plan, workers, augment: augmenter, augmentSeed: p => BatchAugmenter.StepSeed(0, 0, p));
        double firstBatch = 0;
        var samples = new List<(int Batch, double Mb)>();
        for (int b = 0; stream.Next() is { } batch; b++)
        {
            using (var scope = NewDisposeScope())
            {
                var (x, y) = batch.ToTensors();
                batch.Dispose();
                augmenter.Apply(batch, x, y, BatchAugmenter.StepSeed(0, 0, b)).Images.sum().item<float>();
            }
            if (b == 0) firstBatch = start.Elapsed.TotalSeconds;
            if ((b + 1) % 50 == 0) GC.Collect();
            if (b % Math.Max(1, plan.Length / 20) == 0 || b == plan.Length - 1)
            {
                using var self = Process.GetCurrentProcess();
                samples.Add((b + 1, self.WorkingSet64 / 1048576.0));
            }
        }
        double seconds = start.Elapsed.TotalSeconds;
        var afterWarmup = samples.Where(s => s.Batch > plan.Length / 10).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"\nmemory: {count}-image folder, {plan.Length} batches ({plan.Sum(b => b.Length)} images), {workers} worker(s): first batch after {firstBatch:0.00} s (load + statistics of {Math.Min(count, ImageFolder.StatisticsImages)} images + first decode); " +
            $"resident {samples[0].Mb:0} MB after batch 1, {afterWarmup.Min(s => s.Mb):0}-{afterWarmup.Max(s => s.Mb):0} MB from 10% of the epoch on (max/min {afterWarmup.Max(s => s.Mb) / afterWarmup.Min(s => s.Mb):0.00}), {samples[^1].Mb:0} MB at the end; " +
            $"{stream.BuffersAllocated} batch buffers allocated for {plan.Length} batches; {seconds:0} s ({plan.Sum(b => b.Length) / seconds:0} images/s)"));
    }

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MiDistill.sln"))) root = root.Parent;
        return root?.FullName ?? throw new InvalidOperationException("run from inside the repository");
    }
}
