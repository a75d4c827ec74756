using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Distill;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>The pipeline's stages: pretrain (cached), fine-tune, distill. Evaluation is in <see cref="Evaluator"/>.</summary>
internal static class Stages
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
        var key = CacheKey(options);
        var directory = Path.Combine(options.Run.CacheDirectory, "teachers");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{options.Teacher.Model.Name}-{key}.bin");
        if (File.Exists(path))
        {
            try
            {
                using var probe = new VisionTransformer(options.Teacher.Model, data.UpstreamClasses.Count);
                probe.load(path);
                context.Output.WriteLine($"[pretrain] using cached teacher {path}");
                return path;
            }
            catch (Exception e)
            {
                context.Output.WriteLine($"[pretrain] cached teacher {path} is unreadable ({e.Message}); pretraining again");
            }
        }

        context.Output.WriteLine($"[pretrain] pretraining `{options.Teacher.Model.Name}` on {data.Upstream.Count} upstream images of classes [{string.Join(", ", data.UpstreamClasses)}]");
        var pretrain = options.Teacher.Pretrain;
        torch.manual_seed(options.Run.Seed + PretrainSeedOffset);
        using var teacher = new VisionTransformer(options.Teacher.Model, data.UpstreamClasses.Count);
        teacher.to(context.Device);
        var adapter = new InputAdapter(options.Teacher.Model.ImageSize, options.Teacher.Model.InChannels);
        using var optimizer = OptimizerFactory.Create(pretrain.Optimizer, teacher.parameters());
        new Trainer(context).Fit(new FitSpec
        {
            Stage = "pretrain",
            Variant = "shared",
            Model = teacher,
            Optimizer = optimizer,
            BaseLearningRate = OptimizerFactory.BaseLearningRate(pretrain.Optimizer),
            Schedule = pretrain.Schedule,
            Train = data.Upstream,
            Epochs = pretrain.Epochs,
            BatchSize = pretrain.BatchSize,
            Seed = options.Run.Seed + PretrainSeedOffset,
            Loss = (x, y) => { var logits = teacher.forward(adapter.Apply(x)); return (nn.functional.cross_entropy(logits, y), logits); },
        });
        Checkpoints.SaveAtomically(teacher, path);
        File.WriteAllText(Path.ChangeExtension(path, ".json"), CacheKeyJson(options));
        return path;
    }

    /// <summary>Fine-tunes a fresh copy of the pretrained teacher with the variant's MI objective and reweighting.</summary>
    public static VisionTransformer Finetune(RunContext context, ExperimentOptions options, ExperimentData data, string pretrainedPath)
    {
        var settings = options.Finetune;
        bool fromCheckpoint = options.Teacher.Weights is CheckpointWeights;
        if (fromCheckpoint) torch.manual_seed(options.Run.Seed + HeadSeedOffset);
        var teacher = new VisionTransformer(options.Teacher.Model, fromCheckpoint ? data.DownstreamClasses.Count : data.UpstreamClasses.Count);
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
                teacher.load(pretrainedPath);
                torch.manual_seed(options.Run.Seed + HeadSeedOffset);
                teacher.ResetHead(data.DownstreamClasses.Count);
            }
            teacher.to(context.Device);
            var adapter = InputAdapter.ForTeacher(options.Teacher);
            var baseOptimizer = OptimizerFactory.Create(settings.Optimizer, teacher.parameters());
            using optim.Optimizer optimizer = settings.Objective switch
            {
                SamObjective sam => new Sam(teacher.parameters(), baseOptimizer, sam.Rho),
                CrossEntropyObjective => baseOptimizer,
                var other => throw new NotSupportedException($"objective {other.GetType().Name} is not supported by this runtime"),
            };
            var result = new Trainer(context).Fit(new FitSpec
            {
                Stage = "finetune",
                Variant = options.Variant,
                Model = teacher,
                Optimizer = optimizer,
                BaseLearningRate = OptimizerFactory.BaseLearningRate(settings.Optimizer),
                Schedule = settings.Schedule,
                Train = data.Train,
                Epochs = settings.Epochs,
                BatchSize = settings.BatchSize,
                Seed = options.Run.Seed + FinetuneSeedOffset,
                Loss = (x, y) => { var logits = teacher.forward(adapter.Apply(x)); return (nn.functional.cross_entropy(logits, y), logits); },
                BeforeEpoch = epoch => teacher.SetMlpAlphas(ReweightSchedule.Alphas(settings.Reweight, teacher.Depth, epoch)),
                Validate = data.Validation.Count == 0 ? null : () => Evaluator.Accuracy(teacher, data.Validation, context.Device, adapter),
            });
            if (data.Validation.Count > 0)
                context.Output.WriteLine($"[finetune/{options.Variant}] kept epoch {result.BestEpoch} (validation accuracy {100 * result.BestValidationAccuracy:0.0}%)");
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
    public static nn.Module<Tensor, Tensor> Distill(RunContext context, ExperimentOptions options, ExperimentData data, VisionTransformer teacher)
    {
        var settings = options.Distill;
        torch.manual_seed(options.Run.Seed + DistillSeedOffset);
        var student = ModelFactory.CreateStudent(settings.Student, data.Train.Channels, data.DownstreamClasses.Count);
        try
        {
            if (settings.StudentWeights is CheckpointWeights checkpoint)
            {
                var report = ModelCheckpoints.Load(student, ExistingCheckpoint(checkpoint, "student"));
                context.Output.WriteLine($"[distill/{options.Variant}] student: {report.Summary()}");
            }
            student.to(context.Device);
            var teacherInput = InputAdapter.ForTeacher(options.Teacher);
            var studentInput = StudentInput(options, data);
            teacher.eval();
            using var optimizer = OptimizerFactory.Create(settings.Optimizer, student.parameters());
            Func<Tensor, Tensor, (Tensor, Tensor)> loss = settings.Loss switch
            {
                KdLossOptions kd => (x, y) =>
                {
                    Tensor teacherLogits;
                    using (no_grad()) teacherLogits = teacher.forward(teacherInput.Apply(x));
                    var logits = student.forward(studentInput.Apply(x));
                    return (KnowledgeDistillationLoss.Compute(logits, teacherLogits, y, kd.Temperature, kd.Weight), logits);
                },
                LabelsOnlyLossOptions => (x, y) =>
                {
                    var logits = student.forward(studentInput.Apply(x));
                    return (nn.functional.cross_entropy(logits, y), logits);
                },
                var other => throw new NotSupportedException($"distillation loss {other.GetType().Name} is not supported by this runtime"),
            };
            var result = new Trainer(context).Fit(new FitSpec
            {
                Stage = "distill",
                Variant = options.Variant,
                Model = student,
                Optimizer = optimizer,
                BaseLearningRate = OptimizerFactory.BaseLearningRate(settings.Optimizer),
                Schedule = settings.Schedule,
                Train = data.Train,
                Epochs = settings.Epochs,
                BatchSize = settings.BatchSize,
                Seed = options.Run.Seed + DistillSeedOffset,
                Loss = loss,
                Validate = data.Validation.Count == 0 ? null : () => Evaluator.Accuracy(student, data.Validation, context.Device, studentInput),
            });
            if (data.Validation.Count > 0)
                context.Output.WriteLine($"[distill/{options.Variant}] kept epoch {result.BestEpoch} (validation accuracy {100 * result.BestValidationAccuracy:0.0}%)");
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
        Optimizer = new SgdOptions(0, 0, 0, false),
        Schedule = new ConstantLr(),
        MaxImages = 0,
    };

    /// <summary>The student's input: the data's size, the channels its stem takes, its checkpoint's normalisation.</summary>
    public static InputAdapter StudentInput(ExperimentOptions options, ExperimentData data) =>
        new(data.Train.Height, ModelFactory.StudentChannels(options.Distill.Student, data.Train.Channels))
        {
            Normalize = (options.Distill.StudentWeights as CheckpointWeights)?.Normalize ?? Normalization.Dataset,
        };

    private static string ExistingCheckpoint(CheckpointWeights checkpoint, string role)
    {
        var file = Path.GetFullPath(checkpoint.Path);
        if (!File.Exists(file))
            throw new CheckpointException(file, $"file not found: the recipe's {role} weights `checkpoint(path: \"{checkpoint.Path}\")` (relative paths resolve against the working directory {Environment.CurrentDirectory})");
        return file;
    }

    // Everything the pretrained weights depend on: architecture, pretraining, the upstream images
    // (which exclude the downstream selection, so data settings count) and the seed.
    private static string CacheKeyJson(ExperimentOptions options) => SettingsJson.Serialize(new
    {
        format = 1,
        model = options.Teacher.Model,
        pretrain = options.Teacher.Pretrain,
        data = options.Data with { Path = "", MaxTestImages = 0 },
        seed = options.Run.Seed,
    });

    private static string CacheKey(ExperimentOptions options)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(CacheKeyJson(options)));
        return Convert.ToHexString(hash, 0, 8).ToLowerInvariant();
    }
}

/// <summary>Model files are written to a temporary name and renamed, so a crash never leaves half a file.</summary>
internal static class Checkpoints
{
    public static void SaveAtomically(nn.Module module, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        module.save(temporary);
        File.Move(temporary, path, overwrite: true);
    }
}
