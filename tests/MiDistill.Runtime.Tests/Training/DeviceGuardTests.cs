using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Augment;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Tests.EndToEnd;
using MiDistill.Runtime.Training;
using MiDistill.Runtime.Training.Steps;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Training;

/// <summary>
/// A CPU-run guard for the CUDA crash class "a tensor made without a device, then mixed with the
/// model's": while these steps run, the default device of every factory call without a device is
/// TorchSharp's <c>meta</c> device (shapes, no data). Models and data live on the CPU, so a tensor
/// that forgot its device meets the model's tensors as a meta tensor and the step fails here,
/// "Expected all tensors to be on the same device ... meta and cpu", or on reading its missing
/// data, as it would meet CUDA tensors on a user's GPU. Covered: a training step with SAM, gradient
/// clipping, augmentation (crop, flip, mixup) and a re-normalising input adapter; stage checkpoints
/// saved and resumed; distillation steps (KD and DIST, a student with dropout); evaluation; and every
/// information analysis. Tensors made on the CPU on purpose (host staging, the MI estimators, which
/// work in float64 on the CPU by design) say <c>device: CPU</c>.
/// </summary>
public sealed class DeviceGuardTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-guard-").FullName;

    static DeviceGuardTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_default_device(CPU);
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>While alive, a tensor made without a device is a meta tensor. Tests of this assembly run one at a time (xunit.runner.json).</summary>
    private sealed class TensorsWithoutADeviceGoToMeta : IDisposable
    {
        public TensorsWithoutADeviceGoToMeta() => torch.set_default_device(META);
        public void Dispose() => torch.set_default_device(CPU);
    }

    /// <summary>32 grayscale 28x28 images of 10 classes, made on the CPU before any guard.</summary>
    private static ImageSet Images(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 28 * 28];
        random.NextBytes(pixels);
        return new ImageSet(pixels, Enumerable.Range(0, count).Select(i => i % 10).ToArray(), 10, 1, 28, 28);
    }

    private RunContext Context(string name) =>
        new(CPU, TextWriter.Null, RunFolder.Create(Path.Combine(_root, name), "guard", "all", "recipe guard {}", "[]"), new ExperimentHooks());

    private static void AllOnTheCpu(nn.Module model, string what)
    {
        foreach (var (name, t) in model.state_dict())
            Assert.True(t.device.type == DeviceType.CPU, $"{what}: {name} is on {t.device}");
    }

    [Fact]
    public void The_guard_catches_a_tensor_made_without_a_device()
    {
        using var x = torch.ones(4, 3, device: CPU);
        using var _ = new TensorsWithoutADeviceGoToMeta();
        using var forgot = torch.tensor(new float[] { 1, 2, 3 });
        Assert.Equal(DeviceType.META, forgot.device.type);
        var e = Assert.ThrowsAny<Exception>(() => x.add(forgot).sum().item<float>());
        Assert.Contains("meta", e.Message);
    }

    [Fact]
    public void Training_steps_with_sam_clipping_augmentation_checkpoints_and_validation_keep_every_tensor_on_the_models_device()
    {
        var train = Images(32, 1);
        var validation = Images(20, 2);
        torch.manual_seed(5);
        using var teacher = TinyRecipe.Settings.Vanilla.Teacher.Model.Create(10);
        teacher.to(CPU);
        // ImageNet-normalised: the adapter re-normalises with constants of its own.
        var adapter = new InputAdapter(28, 1) { Normalize = Normalization.ImageNet, DataStatistics = train.Statistics };
        var augment = new BatchAugmenter(new AugmentOptions[] { new RandomResizedCropAugment(), new CropAugment(2), new FlipAugment(), new MixupAugment() }, 10, train.Statistics.Black());
        using var optimizer = new Sam(teacher.parameters(), optim.AdamW(teacher.parameters(), 1e-3), rho: 0.05);
        var context = Context("train");
        var checkpoint = Path.Combine(_root, "finetune.ckpt");
        FitSpec Spec(int epochs) => new()
        {
            Stage = "finetune",
            Variant = "guard",
            Model = teacher,
            Optimizer = optimizer,
            BaseLearningRate = 1e-3,
            Schedule = new ConstantLr(),
            Train = train,
            Epochs = epochs,
            BatchSize = 8,
            Seed = 11,
            RunSeed = 7,
            Loss = (x, y) =>
            {
                var logits = teacher.call(adapter.Apply(x));
                return (nn.functional.cross_entropy(logits, y), logits);
            },
            Augment = augment,
            ClipGrad = 1.0,
            Validate = () => Evaluator.Score(teacher, validation, CPU, adapter, Metric.Accuracy, 1),
            CheckpointPath = checkpoint,
            CheckpointEverySteps = 3,
        };

        using (new TensorsWithoutADeviceGoToMeta())
        {
            var first = new Trainer(context).Fit(Spec(2));
            Assert.Equal(2, first.Lines.Length);
            // The last checkpoint (epoch 2, after step 3) is resumed, and the stage goes on for a third epoch.
            var resumed = new Trainer(context).Fit(Spec(3));
            Assert.Equal(3, resumed.Lines.Length);
            Evaluator.Evaluate(teacher, validation, CPU, adapter, new Metric[] { Metric.Accuracy }, 1);
        }
        AllOnTheCpu(teacher, "the fine-tuned teacher");
        context.Folder.Dispose();
    }

    [Theory]
    [InlineData("kd")]
    [InlineData("dist")]
    public void Distillation_steps_keep_every_tensor_on_the_models_device(string loss)
    {
        var train = Images(32, 3);
        torch.manual_seed(6);
        using var teacher = TinyRecipe.Settings.Vanilla.Teacher.Model.Create(10);
        teacher.eval();
        // MobileNetV2 draws dropout masks: on a GPU from the CUDA generator.
        var studentOptions = new MobileNetV2Options(0.25);
        using var student = studentOptions.Create(1, 10);
        var teacherInput = new InputAdapter(28, 1) { Normalize = Normalization.Inception, DataStatistics = train.Statistics };
        var studentInput = new InputAdapter(28, 1) { DataStatistics = train.Statistics };
        DistillLossOptions options = loss == "kd" ? new KdLossOptions(Weight: 0.5) : new DistLossOptions(Weight: 0.5);
        using var optimizer = optim.SGD(student.parameters(), 0.05, momentum: 0.9);
        var context = Context("distill-" + loss);
        using (new TensorsWithoutADeviceGoToMeta())
        {
            new Trainer(context).Fit(new FitSpec
            {
                Stage = "distill",
                Variant = loss,
                Model = student,
                Optimizer = optimizer,
                BaseLearningRate = 0.05,
                Schedule = new ConstantLr(),
                Train = train,
                Epochs = 1,
                BatchSize = 8,
                Seed = 13,
                RunSeed = 7,
                Loss = Stages.DistillationLoss(options, teacher.call, student.call, teacherInput, studentInput),
                Augment = new BatchAugmenter(new AugmentOptions[] { new FlipAugment() }, 10, train.Statistics.Black()),
                CheckpointPath = Path.Combine(_root, loss + ".ckpt"),
            });
            Evaluator.Predict(student, train, CPU, studentInput, 1);
        }
        AllOnTheCpu(student, "the student");
        context.Folder.Dispose();
    }

    [Fact]
    public void Every_analysis_keeps_every_tensor_on_the_models_device()
    {
        var options = AnalyzeTinyRecipe.Settings.Sam;
        var data = SavedModelScore.Data(options, replicate: 0);
        torch.manual_seed(8);
        using var teacher = options.Teacher.Model.Create(data.DownstreamClasses.Count);
        teacher.to(CPU);
        teacher.eval();
        var context = Context("analysis");
        var analysis = new AnalysisStage(context);
        using (new TensorsWithoutADeviceGoToMeta())
        {
            analysis.AfterFinetune(options, data, teacher);
            analysis.KeptCheckpoint(options, data, teacher, 1);
        }
        var results = analysis.Results;
        Assert.NotEmpty(results.Blocks);
        Assert.NotEmpty(results.Removal);
        Assert.NotEmpty(results.Plane);
        Assert.All(results.Blocks, b => Assert.True(double.IsFinite(b.Bits), $"{b}"));
        context.Folder.Dispose();
    }
}
