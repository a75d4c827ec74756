using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using MiDistill.Runtime.Augment;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Distill;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>
/// The teacher-output cache (docs/teacher-cache.md): K augmentation views of every training and
/// transfer image, each stored as its seed with the teacher's outputs on it, in
/// <c>run.cache/teacher-outputs/&lt;key&gt;.tcache</c>. The key hashes the fine-tuned teacher's weights,
/// the images (content and labels), the augmentation settings and the view seed, the views, the
/// classes kept and their precision: every epoch, variant and sweep unit that distils from the same
/// teacher, data and augmentation reads one entry, filled once. Concurrent fills take turns on the
/// entry's OS file lock; an entry is written to a temporary file and renamed, so a half-written one
/// is never read; a damaged one is reported naming the file and filled again.
/// </summary>
public static class TeacherCache
{
    // The views' seed stream under the run's training seed, apart from the stages' (Stages: 1000..4000).
    internal const int ViewSeedOffset = 4100;

    /// <summary>The entry for this unit's teacher, data and augmentation: read when it is there and sound, else filled now.</summary>
    public static TeacherOutputs Obtain(RunContext context, ExperimentOptions options, ExperimentData data, nn.Module<Tensor, Tensor> teacher)
    {
        var settings = options.Distill;
        int classes = data.DownstreamClasses.Count;
        int topK = settings.TeacherCacheTopK == 0 ? classes : settings.TeacherCacheTopK;
        if (settings.TeacherCacheViews < 1) throw new ArgumentException("the teacher-output cache is off (`distill.teacher_cache_views 0`)");
        if (topK > classes)
            throw new ArgumentException($"`distill.teacher_cache_top_k {topK}` keeps more logits than the {classes} downstream classes; use at most {classes}, or 0 for every class");
        var keyJson = KeyJson(options, data, teacher, topK, classes);
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(keyJson)), 0, 8).ToLowerInvariant();
        var directory = Path.Combine(context.CacheDirectory, "teacher-outputs");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, key + ".tcache");
        using var entryLock = FileLock.AcquireEntry(path, holder => context.Output.WriteLine($"[teacher-cache] waiting for {holder}, which is filling this entry ({path})"));
        if (File.Exists(path))
        {
            try
            {
                var cached = TeacherOutputs.Read(path, keyJson);
                context.Output.WriteLine($"[teacher-cache] using {path}: {Describe(cached)}");
                return cached;
            }
            catch (TeacherOutputsException e)
            {
                context.Output.WriteLine($"[teacher-cache] error: {e.Message}; filling it again");
                File.Delete(path);
            }
        }
        FillStarting?.Invoke(path);
        var watch = Stopwatch.StartNew();
        var outputs = Fill(context, options, data, teacher, topK, classes);
        var temporary = path + ".tmp";
        outputs.Write(temporary, keyJson);
        TestSeams.BeforeRename?.Invoke(path);
        File.Move(temporary, path, overwrite: true);
        File.WriteAllText(Path.ChangeExtension(path, ".json"), keyJson);
        context.Output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[teacher-cache] filled {path} in {watch.Elapsed.TotalSeconds:0.0} s: {Describe(outputs)}"));
        return outputs;
    }

    /// <summary>
    /// Test-only: called with the entry's path once this process holds its lock and is about to fill
    /// it (tests/MiDistill.TestRecipes/KillPoints.cs makes a child wait here, so another can queue
    /// behind it). Nothing sets it in a real run.
    /// </summary>
    internal static Action<string>? FillStarting;

    /// <summary>The view seed of a unit: every unit with the same training seed draws the same views.</summary>
    public static int ViewSeed(ExperimentOptions options) => options.Run.TrainingSeed + ViewSeedOffset;

    private static string Describe(TeacherOutputs outputs) =>
        $"{outputs.Images} images x {outputs.Views} views, {outputs.TopK} of {outputs.Classes} logits ({(outputs.Half ? "fp16" : "fp32")}) each; " +
        $"{Mebibytes(outputs.Bytes)} on disk and in memory (images x views x (4 + top_k x ({(outputs.Half ? 2 : 4)} + {(outputs.Classes <= 65536 ? 2 : 4)}){(outputs.TopK < outputs.Classes ? " + 4" : "")}) bytes)";

    private static string Mebibytes(long bytes) => bytes < 1048576
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.00} MiB");

    // Everything the stored outputs depend on. The teacher by its weights (every tensor of its
    // state, its reweighting buffers included), the images by content and labels, the augmentation
    // by its settings and the view seed; the loss's temperature only when classes are left out.
    internal static string KeyJson(ExperimentOptions options, ExperimentData data, nn.Module<Tensor, Tensor> teacher, int topK, int classes) => SettingsJson.Serialize(new
    {
        format = 1,
        teacher = WeightsHash(teacher),
        teacher_model = options.Teacher.Model,
        teacher_weights = options.Teacher.Weights,
        teacher_dtype = options.Distill.TeacherDType.ToString(),
        train = Stages.Fingerprint(data.Train),
        transfer = Stages.Fingerprint(data.Transfer),
        augment = options.Distill.Augment,
        seed = ViewSeed(options),
        views = options.Distill.TeacherCacheViews,
        top_k = topK,
        values = options.Distill.TeacherCacheValues.ToString(),
        temperature = topK < classes ? options.Distill.Loss.CacheTemperature : 0,
    });

    /// <summary>SHA-256 of a model's state (names, shapes, dtypes and bytes), in order.</summary>
    internal static string WeightsHash(nn.Module model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in model.state_dict())
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}:{tensor.dtype}:[{string.Join(",", tensor.shape)}];"));
            var cpu = tensor.detach().cpu().contiguous();
            hash.AppendData(cpu.bytes);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>The teacher on every view of every image, batch by batch, with progress lines.</summary>
    private static TeacherOutputs Fill(RunContext context, ExperimentOptions options, ExperimentData data, nn.Module<Tensor, Tensor> teacher, int topK, int classes)
    {
        var settings = options.Distill;
        var adapter = InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics);
        teacher.eval();
        var predicted = data.Transfer.Count > 0 ? Evaluator.Predict(teacher, data.Transfer, context.Device, adapter, context.Workers) : Array.Empty<int>();
        var set = data.Transfer.Count > 0 ? data.Train.Concat(data.Transfer.WithLabels(predicted)) : data.Train;
        // The outputs the live distillation would compute: in bfloat16 when the recipe runs the teacher so.
        using var bf16 = settings.TeacherDType == TeacherDType.BFloat16 ? Bf16Teacher.Copy(teacher, () => options.Teacher.Model.Create(classes)) : null;
        Func<Tensor, Tensor> forward = bf16 is not null ? bf16.Forward : teacher.call;
        return Fill(set, predicted, x => forward(adapter.Apply(x)), Stages.Augmenter(settings.Augment, data), settings.TeacherCacheViews, ViewSeed(options),
            classes, topK, settings.TeacherCacheValues == CacheValues.Fp16, settings.Loss.CacheTemperature, settings.BatchSize, context.Device, context.Workers, context.Output);
    }

    /// <summary>
    /// The teacher (its input adapter inside <paramref name="teacher"/>) on <paramref name="views"/>
    /// views of every image of <paramref name="set"/>, batch by batch, each view augmented from its
    /// seed (<see cref="ViewReplay.ViewSeed"/>), with a progress line every tenth.
    /// </summary>
    public static TeacherOutputs Fill(ImageSet set, int[] predicted, Func<Tensor, Tensor> teacher, BatchAugmenter? augmenter, int views, int viewSeed,
        int classes, int topK, bool half, double temperature, int batchSize, Device device, int workers, TextWriter output)
    {
        long estimate = TeacherOutputs.Estimate(set.Count, views, classes, topK, half, predicted.Length);
        output.WriteLine($"[teacher-cache] filling: the teacher on {views} views of {set.Count} images ({Mebibytes(estimate)})");
        var outputs = new TeacherOutputs(set.Count, views, classes, topK, half, temperature, predicted);
        var plan = BatchPlan.Epoch(set.Count, batchSize, shuffle: false, seed: 0, epoch: 0);
        using var stream = new BatchStream(set, plan, workers);
        int reported = 0;
        long done = 0;
        for (int b = 0; b < plan.Length; b++)
        {
            using (var scope = NewDisposeScope())
            {
                var batch = stream.Next() ?? throw new InvalidOperationException("the teacher-cache fill's batch stream ended early");
                Tensor images, labels;
                using (batch) (images, labels) = batch.ToTensors(device);
                var indices = plan[b];
                var seeds = new int[indices.Length];
                for (int v = 0; v < views; v++)
                {
                    for (int i = 0; i < indices.Length; i++)
                    {
                        seeds[i] = ViewReplay.ViewSeed(viewSeed, indices[i], v);
                        outputs.Seeds[(long)indices[i] * views + v] = seeds[i];
                    }
                    var (x, _) = ViewReplay.Apply(augmenter, images, labels, seeds);
                    using (no_grad())
                        outputs.Store(indices, v, teacher(x));
                }
                done += (long)indices.Length * views;
            }
            if (b % 20 == 19) GC.Collect();
            int percent = (int)(100L * (b + 1) / plan.Length);
            if (percent / 10 > reported / 10 || b + 1 == plan.Length)
            {
                reported = percent;
                output.WriteLine($"[teacher-cache] {percent}% ({done} of {(long)set.Count * views} views)");
            }
        }
        return outputs;
    }
}

/// <summary>
/// One distillation stage's replay of a teacher-output cache: each epoch every image shows one of
/// its stored views (<see cref="ViewReplay.Choose"/>), augmented from that view's seed, and the
/// loss reads the stored outputs of exactly that view (<see cref="Teacher"/>, set per batch). With a
/// live teacher instead (<see cref="Live"/>) the same views are drawn and the teacher runs on them:
/// the reference the cached path is tested against.
/// </summary>
public sealed class CachedViews
{
    private readonly TeacherOutputs? _outputs;
    private readonly int _views;
    private readonly BatchAugmenter? _augmenter;
    private readonly int _seed;
    private readonly Device _device;
    private readonly Func<Tensor, Tensor>? _live;
    private readonly int[] _storedSeeds;

    private CachedViews(TeacherOutputs? outputs, int views, int[] storedSeeds, BatchAugmenter? augmenter, int seed, Device device, Func<Tensor, Tensor>? live)
    {
        _outputs = outputs;
        _views = views;
        _storedSeeds = storedSeeds;
        _augmenter = augmenter;
        _seed = seed;
        _device = device;
        _live = live;
    }

    /// <param name="seed">The stage seed each epoch's view choice derives from.</param>
    public static CachedViews Cached(TeacherOutputs outputs, BatchAugmenter? augmenter, int seed, Device device) =>
        new(outputs, outputs.Views, outputs.Seeds, augmenter, seed, device, null);

    /// <summary>The same views of the same images, with the teacher run on each batch (teacher input already adapted inside <paramref name="teacher"/>).</summary>
    public static CachedViews Live(int images, int views, int viewSeed, BatchAugmenter? augmenter, int seed, Device device, Func<Tensor, Tensor> teacher)
    {
        var seeds = new int[(long)images * views];
        for (int i = 0; i < images; i++)
            for (int v = 0; v < views; v++) seeds[(long)i * views + v] = ViewReplay.ViewSeed(viewSeed, i, v);
        return new(null, views, seeds, augmenter, seed, device, teacher);
    }

    /// <summary>The teacher's logits [B, C] on the batch <see cref="Prepare"/> gave last (in the step's dispose scope).</summary>
    public Tensor? Teacher { get; private set; }

    /// <summary>The batch's images as their chosen views, and their labels; sets <see cref="Teacher"/>.</summary>
    public (Tensor Images, Tensor Targets) Prepare(int[] indices, int epoch, Tensor images, Tensor labels)
    {
        var chosen = new int[indices.Length];
        var seeds = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            chosen[i] = ViewReplay.Choose(_seed, epoch, indices[i], _views);
            seeds[i] = _storedSeeds[(long)indices[i] * _views + chosen[i]];
        }
        var (x, targets) = ViewReplay.Apply(_augmenter, images, labels, seeds);
        if (_live is null)
            Teacher = _outputs!.Logits(indices, chosen, _device);
        else
            using (no_grad()) Teacher = _live(x);
        return (x, targets);
    }
}
