using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using MiDistill.Runtime.Augment;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Distill;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>The pipeline's stages: pretrain (cached), fine-tune, distill. Evaluation is in <see cref="Evaluator"/>.</summary>
public static class Stages
{
    // Offsets keep the random streams of different stages apart under one run seed.
    private const int PretrainSeedOffset = 1000, HeadSeedOffset = 2000, FinetuneSeedOffset = 3000, DistillSeedOffset = 4000;

    /// <summary>
    /// The pretrained teacher's weights file: taken from the cache when a teacher with the same
    /// architecture, pretraining settings and upstream data was pretrained before, else pretrained now.
    /// </summary>
    public static string PretrainedTeacher(RunContext context, ExperimentOptions options, ExperimentData data)
    {
        if (options.Teacher.Weights is CheckpointWeights checkpoint)
        {
            var file = ExistingCheckpoint(checkpoint, "teacher");
            context.Output.WriteLine($"[pretrain] skipped: the teacher starts from checkpoint {file}");
            return file;
        }
        if (options.Teacher.Pretrain is null)
            throw new ArgumentException("the teacher has neither pretraining settings nor a checkpoint; set `teacher.pretrain` or `teacher.weights`");
        var keyJson = CacheKeyJson(options, Fingerprint(data.Upstream), context.Device.type);
        var key = CacheKey(keyJson);
        var directory = Path.Combine(context.CacheDirectory, "teachers");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{options.Teacher.Model.ModelName}-{key}{ModelFile.Extension}");
        var entry = Path.GetFileName(path);
        // One process at a time checks, pretrains and writes an entry: another run with the same
        // key waits here, then finds the finished teacher (or, if the holder was killed, continues
        // its checkpoint), never a half-trained one.
        using var entryLock = FileLock.AcquireEntry(path, holder => context.Output.WriteLine($"[pretrain] waiting for {holder}, which is pretraining this teacher ({path})"));
        RemoveAbandonedWrites(path);
        if (File.Exists(path))
        {
            try
            {
                using var probe = options.Teacher.Model.Create(data.UpstreamClasses.Count);
                ModelFile.Load(probe, path, "pretraining it again");
                context.Output.WriteLine($"[pretrain] using cached teacher {path}");
                RecordCachedPretraining(context, entry, path);
                return path;
            }
            catch (CheckpointException e)
            {
                context.Output.WriteLine($"[pretrain] {e.Message}");
            }
        }

        context.Output.WriteLine($"[pretrain] pretraining `{options.Teacher.Model.ModelName}` on {data.Upstream.Count} upstream images of classes [{string.Join(", ", data.UpstreamClasses)}]");
        // Recorded before any line is written: should another run finish this entry first, this run's
        // metrics still get every pretraining epoch (RecordCachedPretraining).
        if (!context.State.Pretraining.Contains(entry))
        {
            context.State.Pretraining.Add(entry);
            context.Commit();
        }
        var pretrain = options.Teacher.Pretrain;
        DeviceRandom.ManualSeed(pretrain.Seed + PretrainSeedOffset);
        using var teacher = options.Teacher.Model.Create(data.UpstreamClasses.Count);
        teacher.to(context.Device);
        var adapter = new InputAdapter(options.Teacher.Model.InputSize, options.Teacher.Model.InputChannels);
        using var optimizer = StageFit.Optimizer(pretrain, teacher);
        var fit = new Trainer(context).Fit(StageFit.Of(pretrain, "pretrain", "shared", teacher, optimizer, data.Upstream, pretrain.Seed + PretrainSeedOffset, pretrain.Seed,
            (x, y) => { var logits = teacher.call(adapter.Apply(x)); return (nn.functional.cross_entropy(logits, y), logits); }) with
        {
            // Pretraining is resumable too; its checkpoint lives beside the cache entry it will become.
            CheckpointPath = Path.ChangeExtension(path, ".ckpt"),
            CheckpointEverySteps = options.Run.CheckpointEverySteps,
        });
        File.WriteAllText(Path.ChangeExtension(path, ".json"), keyJson);
        // The entry carries its pretraining's metrics lines, for runs that began it but did not finish it.
        ModelFile.Save(teacher, path, new System.Collections.Generic.Dictionary<string, string> { [MetricsKey] = string.Join("\n", fit.Lines) });
        File.Delete(Path.ChangeExtension(path, ".ckpt"));
        context.State.Finished.Add("pretrain/" + entry);
        context.Commit();
        return path;
    }

    /// <summary>
    /// Deletes the entry's and its checkpoint's <c>*.&lt;pid&gt;.tmp</c> files that a writer killed
    /// before its rename left behind. Whoever holds the entry's lock is its only writer, so every such
    /// file is abandoned; left alone they would pile up in the cache with every kill.
    /// </summary>
    private static void RemoveAbandonedWrites(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        foreach (var written in new[] { path, Path.ChangeExtension(path, ".ckpt") })
            foreach (var file in Directory.EnumerateFiles(directory, Path.GetFileName(written) + ".*.tmp"))
                File.Delete(file);
    }

    /// <summary>The metadata key of a cached teacher's pretraining metrics lines (newline-separated, as written).</summary>
    internal const string MetricsKey = "midistill.metrics";

    /// <summary>
    /// A run that began pretraining this entry, which another run then finished (or which this run
    /// finished just before it was killed), writes the entry's pretraining lines once, so its
    /// metrics.jsonl holds every pretraining epoch. A run that took the entry finished from the
    /// cache writes none.
    /// </summary>
    private static void RecordCachedPretraining(RunContext context, string entry, string path)
    {
        if (!context.State.Pretraining.Contains(entry) || context.State.Finished.Contains("pretrain/" + entry)) return;
        context.RewindMetrics();
        if (Safetensors.ReadMetadata(path).TryGetValue(MetricsKey, out var lines))
            context.Replay(lines.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        context.State.Finished.Add("pretrain/" + entry);
        context.Commit();
    }

    /// <summary>Fine-tunes a fresh copy of the pretrained teacher with the variant's MI objective and reweighting.</summary>
    public static VisionTransformer Finetune(RunContext context, ExperimentOptions options, ExperimentData data, string pretrainedPath, StageFiles files)
    {
        var settings = options.Finetune;
        bool fromCheckpoint = options.Teacher.Weights is CheckpointWeights;
        if (fromCheckpoint) DeviceRandom.ManualSeed(options.Run.TrainingSeed + HeadSeedOffset);
        var teacher = options.Teacher.Model.Create(fromCheckpoint ? data.DownstreamClasses.Count : data.UpstreamClasses.Count);
        try
        {
            if (fromCheckpoint)
            {
                // Checked and loaded by timm's names; the head for the recipe's classes stays fresh.
                var report = ModelCheckpoints.Load(teacher, pretrainedPath);
                context.Output.WriteLine($"[finetune/{options.Variant}] teacher: {report.Summary()}");
            }
            else
            {
                ModelFile.Load(teacher, pretrainedPath, DamagedCacheEntry);
                // Pretrained on exactly the downstream classes, in order: its head already knows them.
                if (!data.UpstreamClasses.SequenceEqual(data.DownstreamClasses))
                {
                    DeviceRandom.ManualSeed(options.Run.TrainingSeed + HeadSeedOffset);
                    teacher.ResetHead(data.DownstreamClasses.Count);
                }
                else
                    context.Output.WriteLine($"[finetune/{options.Variant}] the teacher was pretrained on exactly these classes: its head is kept");
            }
            teacher.to(context.Device);
            context.ModelReady("finetune", options.Variant, options.Run.Seed, teacher);
            var adapter = InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics);
            using var optimizer = settings.Objective.Wrap(teacher, StageFit.Optimizer(settings, teacher));
            var result = new Trainer(context).Fit(StageFit.Of(settings, "finetune", options.Variant, teacher, optimizer, data.Train, options.Run.TrainingSeed + FinetuneSeedOffset, options.Run.Seed,
                (x, y) => { var logits = teacher.call(adapter.Apply(x)); return (nn.functional.cross_entropy(logits, y), logits); }, Augmenter(settings.Augment, data)) with
            {
                BeforeEpoch = epoch =>
                {
                    teacher.SetMlpAlphas(ReweightSchedule.Alphas(settings.Reweight, teacher.Depth, epoch));
                    teacher.SetResidualScales(ReweightSchedule.ResidualScales(settings.Reweight, teacher.Depth, epoch));
                },
                EpochMetrics = () => teacher.MlpAlphas.Select((alpha, block) => (alpha, block)).ToDictionary(a => $"mlp_alpha_{a.block}", a => a.alpha),
                // Under the paper's protocol the kept epochs are fixed in advance; no validation choice.
                Validate = data.Validation.Count == 0 || options.Evaluate.Protocol is PaperProtocol ? null : () => Evaluator.Score(teacher, data.Validation, context.Device, adapter, Evaluator.SelectionMetric(options.Evaluate), context.Workers),
                CheckpointPath = files.Checkpoint,
                CheckpointEverySteps = options.Run.CheckpointEverySteps,
                SnapshotEpochs = options.Evaluate.Protocol is PaperProtocol paper ? paper.Checkpoints : Array.Empty<int>(),
                SnapshotPath = files.Snapshot,
            });
            if (double.IsFinite(result.BestValidationAccuracy))
                context.Output.WriteLine($"[finetune/{options.Variant}] kept epoch {result.BestEpoch} (validation {Evaluator.ColumnSuffix(Evaluator.SelectionMetric(options.Evaluate))} {100 * result.BestValidationAccuracy:0.0}%)");
            else if (data.Validation.Count == 0)
                context.Output.WriteLine($"[finetune/{options.Variant}] no validation split: the last epoch is kept");
            teacher.eval();
            return teacher;
        }
        catch
        {
            teacher.Dispose();
            throw;
        }
    }

    /// <summary>Distils the fine-tuned teacher into a new student; the teacher's reweighting stays in place.</summary>
    /// <remarks>
    /// <paramref name="teacher"/> may be null when the loss uses no teacher (<see cref="DistillLossOptions.UsesTeacher"/>): the labels-only baseline,
    /// or when <paramref name="cached"/> holds the teacher's outputs (the teacher-output cache): each epoch then replays one stored view per image.
    /// </remarks>
    public static nn.Module<Tensor, Tensor> Distill(RunContext context, ExperimentOptions options, ExperimentData data, VisionTransformer? teacher, StageFiles files,
        TeacherOutputs? cached = null)
    {
        var settings = options.Distill;
        DeviceRandom.ManualSeed(options.Run.TrainingSeed + DistillSeedOffset);
        var student = CreateStudent(settings.Student, data);
        try
        {
            if (settings.StudentWeights is CheckpointWeights checkpoint)
            {
                var report = ModelCheckpoints.Load(student, ExistingCheckpoint(checkpoint, "student"));
                context.Output.WriteLine($"[distill/{options.Variant}] student: {report.Summary()}");
            }
            student.to(context.Device);
            context.ModelReady("distill", options.Variant, options.Run.Seed, student);
            var teacherInput = InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics);
            var studentInput = StudentInput(options, data);
            if (teacher is null && cached is null && settings.Loss.UsesTeacher)
                throw new ArgumentException($"the distillation loss {settings.Loss.GetType().Name} needs a teacher", nameof(teacher));
            teacher?.eval();
            using var optimizer = StageFit.Optimizer(settings, student);
            using var bf16 = teacher is not null && cached is null && settings.Loss.UsesTeacher && settings.TeacherDType == TeacherDType.BFloat16
                ? Bf16Teacher.Copy(teacher, () => options.Teacher.Model.Create(data.DownstreamClasses.Count))
                : null;
            Func<Tensor, Tensor> teacherForward = teacher is null ? _ => throw new InvalidOperationException("this loss uses no teacher")
                : bf16 is not null ? bf16.Forward : teacher.call;
            var loss = DistillationLoss(settings.Loss, teacherForward, student.call, teacherInput, studentInput);
            CachedViews? views = null;
            if (cached is not null)
            {
                views = CachedViews.Cached(cached, Augmenter(settings.Augment, data), options.Run.TrainingSeed + DistillSeedOffset, context.Device);
                loss = CachedLoss(settings.Loss, views, student.call, studentInput);
            }
            // The transfer set's images carry the teacher's predictions, never their own labels: the
            // student learns from the teacher only there (its soft outputs every step, as everywhere).
            var distillTrain = data.Train;
            if (cached is not null && data.Transfer.Count > 0)
            {
                distillTrain = data.Train.Concat(data.Transfer.WithLabels(cached.Predicted));
                context.Output.WriteLine($"[distill/{options.Variant}] transfer set: {data.Transfer.Count} unlabeled images, labelled by the teacher (from the teacher-output cache)");
            }
            else if (teacher is not null && data.Transfer.Count > 0)
            {
                distillTrain = data.Train.Concat(data.Transfer.WithLabels(Evaluator.Predict(teacher, data.Transfer, context.Device, teacherInput, context.Workers)));
                context.Output.WriteLine($"[distill/{options.Variant}] transfer set: {data.Transfer.Count} unlabeled images, labelled by the teacher");
            }
            var result = new Trainer(context).Fit(StageFit.Of(settings, "distill", options.Variant, student, optimizer, distillTrain, options.Run.TrainingSeed + DistillSeedOffset, options.Run.Seed,
                loss, Augmenter(settings.Augment, data)) with
            {
                Validate = data.Validation.Count == 0 ? null : () => Evaluator.Score(student, data.Validation, context.Device, studentInput, Evaluator.SelectionMetric(options.Evaluate), context.Workers),
                CheckpointPath = files.Checkpoint,
                CheckpointEverySteps = options.Run.CheckpointEverySteps,
                PrepareBatch = views is null ? null : views.Prepare,
            });
            if (double.IsFinite(result.BestValidationAccuracy))
                context.Output.WriteLine($"[distill/{options.Variant}] kept epoch {result.BestEpoch} (validation {Evaluator.ColumnSuffix(Evaluator.SelectionMetric(options.Evaluate))} {100 * result.BestValidationAccuracy:0.0}%)");
            else if (data.Validation.Count == 0)
                context.Output.WriteLine($"[distill/{options.Variant}] no validation split: the last epoch is kept");
            student.eval();
            return student;
        }
        catch
        {
            student.Dispose();
            throw;
        }
    }

    /// <summary>The upstream (pretraining) split's settings; none when the teacher starts from a checkpoint.</summary>
    public static PretrainOptions Upstream(ExperimentOptions options) => options.Teacher.Pretrain ?? new PretrainOptions
    {
        Classes = Array.Empty<int>(),
        Epochs = 0,
        BatchSize = 1,
        Optimizer = new SgdOptions(),
        Schedule = new ConstantLr(),
        MaxImages = 0,
        Seed = 0,
    };

    /// <summary>The student's input: its declared size (else the data's), the channels its stem takes, its checkpoint's normalisation.</summary>
    public static InputAdapter StudentInput(ExperimentOptions options, ExperimentData data) =>
        new(options.Distill.StudentInputSize > 0 ? options.Distill.StudentInputSize : data.Train.Height, options.Distill.Student.InputChannels(data.Train.Channels))
        {
            Normalize = (options.Distill.StudentWeights as CheckpointWeights)?.Normalize ?? Normalization.Dataset,
            DataStatistics = data.Train.Statistics,
        };

    /// <summary>A fresh student for the data's channels and the downstream classes.</summary>
    public static nn.Module<Tensor, Tensor> CreateStudent(StudentOptions student, ExperimentData data) =>
        student.Create(student.InputChannels(data.Train.Channels), data.DownstreamClasses.Count)
            ?? throw new InvalidOperationException($"student {student.GetType().Name}.Create returned no model");

    private static string ExistingCheckpoint(CheckpointWeights checkpoint, string role)
    {
        var file = Path.GetFullPath(checkpoint.Path);
        if (!File.Exists(file))
            throw new CheckpointException(file, $"file not found: the recipe's {role} weights `checkpoint(path: \"{checkpoint.Path}\")` (a relative path in a recipe is relative to its project folder)");
        return file;
    }

    /// <summary>
    /// The distillation stage's loss of one (already augmented) batch. Teacher and student both see
    /// exactly <c>x</c>, each through its own input adapter, and the teacher's outputs are computed
    /// on it every step (never cached): patient and consistent function matching.
    /// </summary>
    public static Func<Tensor, Tensor, (Tensor Loss, Tensor Logits)> DistillationLoss(
        DistillLossOptions options, Func<Tensor, Tensor> teacher, Func<Tensor, Tensor> student,
        InputAdapter teacherInput, InputAdapter studentInput)
    {
        Tensor Teacher(Tensor x)
        {
            using (no_grad()) return teacher(teacherInput.Apply(x));
        }
        return (x, y) =>
        {
            var teacherLogits = options.UsesTeacher ? Teacher(x) : null;
            var logits = student(studentInput.Apply(x));
            return (options.Compute(logits, teacherLogits, y), logits);
        };
    }

    /// <summary>The distillation loss of one batch of replayed views: the teacher's logits are the cache's for exactly these views.</summary>
    public static Func<Tensor, Tensor, (Tensor Loss, Tensor Logits)> CachedLoss(
        DistillLossOptions options, CachedViews views, Func<Tensor, Tensor> student, InputAdapter studentInput) =>
        (x, y) =>
        {
            var logits = student(studentInput.Apply(x));
            return (options.Compute(logits, options.UsesTeacher ? views.Teacher : null, y), logits);
        };

    /// <summary>The batch augmenter of a stage, or null when the recipe declares none; pads with black in the data's normalisation.</summary>
    public static BatchAugmenter? Augmenter(System.Collections.Generic.IReadOnlyList<AugmentOptions>? steps, ExperimentData data) =>
        steps is null || steps.Count == 0 ? null
            : new BatchAugmenter(steps, data.DownstreamClasses.Count, data.Train.Statistics.Black());

    /// <summary>What to do about a damaged weights file of a finished stage: the stage cannot be rebuilt in place.</summary>
    internal const string DamagedRunFile = "this run cannot continue from it; start a new run of the recipe";

    /// <summary>What to do about a damaged cache entry read after the cache check.</summary>
    internal const string DamagedCacheEntry = "delete it and run again to pretrain the teacher again";

    /// <summary>The pretrained teacher as it left pretraining (head for the upstream classes), from its cache entry.</summary>
    public static VisionTransformer LoadPretrained(ExperimentOptions options, ExperimentData data, string weights, Device device) =>
        LoadTeacherFile(options, data.UpstreamClasses.Count, weights, DamagedCacheEntry, device);

    /// <summary>The fine-tuned teacher of a finished stage, from its weights file.</summary>
    public static VisionTransformer LoadTeacher(ExperimentOptions options, ExperimentData data, string weights, Device device) =>
        LoadTeacherFile(options, data.DownstreamClasses.Count, weights, DamagedRunFile, device);

    private static VisionTransformer LoadTeacherFile(ExperimentOptions options, int classes, string weights, string whatToDo, Device device)
    {
        var teacher = options.Teacher.Model.Create(classes);
        try
        {
            ModelFile.Load(teacher, weights, whatToDo);
        }
        catch
        {
            teacher.Dispose();
            throw;
        }
        teacher.to(device);
        teacher.eval();
        return teacher;
    }

    /// <summary>The distilled student of a finished stage, from its weights file.</summary>
    public static nn.Module<Tensor, Tensor> LoadStudent(ExperimentOptions options, ExperimentData data, string weights, Device device)
    {
        var student = CreateStudent(options.Distill.Student, data);
        ModelFile.Load(student, weights, DamagedRunFile);
        student.to(device);
        student.eval();
        return student;
    }

    // Everything the pretrained weights depend on: architecture, pretraining settings (seed
    // included), exactly which images it sees, and the device and dtype it trained in. The images are
    // keyed by content (their decoded pixels, labels, shape and normalisation), not by path or data
    // settings: a folder with other pixels never reuses a teacher, the same images reached by another
    // path or shared by replicates and variants always do. A teacher pretrained on a GPU has other
    // bits than one pretrained on the CPU, so a CPU run sharing `run.cache` with a GPU run must not
    // take it. The CPU in float32 is what every entry before device and dtype were keyed was made in:
    // its key stays exactly what it was, so those entries are still found.
    internal static string CacheKeyJson(ExperimentOptions options, string upstreamFingerprint, DeviceType device)
    {
        var key = new
        {
            format = 3,
            model = options.Teacher.Model,
            pretrain = options.Teacher.Pretrain,
            source = options.Data.Source,
            upstream = upstreamFingerprint,
        };
        if (device == DeviceType.CPU && PretrainDType == ScalarType.Float32) return SettingsJson.Serialize(key);
        return SettingsJson.Serialize(new
        {
            key.format,
            key.model,
            key.pretrain,
            key.source,
            key.upstream,
            device = device.ToString().ToLowerInvariant(),
            dtype = PretrainDType.ToString().ToLowerInvariant(),
        });
    }

    /// <summary>The dtype teachers are pretrained in (their parameters and the whole step).</summary>
    private const ScalarType PretrainDType = ScalarType.Float32;

    /// <summary>SHA-256 of a set's shape, statistics, labels and image content (pixels, or a file's bytes), in order.</summary>
    internal static string Fingerprint(ImageSet set)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{set.Count}x{set.Channels}x{set.Height}x{set.Width};{set.NumClasses};{set.Statistics}"));
        hash.AppendData(set.Labels.SelectMany(BitConverter.GetBytes).ToArray());
        set.AppendContent(hash);
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static string CacheKey(string json)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(json));
        return Convert.ToHexString(hash, 0, 8).ToLowerInvariant();
    }
}

/// <summary>Where a stage keeps its resumable checkpoint and (paper protocol) its per-epoch snapshots.</summary>
public sealed record StageFiles(string Checkpoint, Func<int, string>? Snapshot = null);
