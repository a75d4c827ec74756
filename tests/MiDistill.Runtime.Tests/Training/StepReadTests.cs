using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Training;

/// <summary>
/// The trainer keeps each step's loss and correct count on the device and reads them once per epoch
/// unless an observer shows steps (issue 25): the epoch's numbers must not depend on which.
/// </summary>
public sealed class StepReadTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-stepread-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed class Recorder(bool wantsSteps) : ITrainingObserver
    {
        public List<(int Epoch, int Step, double Loss, double Accuracy)> Steps { get; } = [];
        public List<IReadOnlyDictionary<string, double>> Epochs { get; } = [];

        public bool WantsSteps(StageStart stage) => wantsSteps;

        public void StepFinished(StageStart stage, int epoch, int step, double loss, double accuracy) => Steps.Add((epoch, step, loss, accuracy));

        public void EpochFinished(EpochEnd epoch) => Epochs.Add(epoch.Training);
    }

    private static ImageSet Images() =>
        // 18 images of 4x4, batches of 4: five steps per epoch, the last of two images.
        new(Enumerable.Range(0, 18 * 16).Select(i => (byte)(i * 37 % 251)).ToArray(), Enumerable.Range(0, 18).Select(i => i % 3).ToArray(), 3, 1, 4, 4);

    private (FitResult Result, Recorder Recorder) Fit(bool wantsSteps, Func<int, bool>? poison = null, int checkpointEvery = 0)
    {
        torch.set_num_threads(1);
        torch.manual_seed(0);
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3));
        using var optimizer = optim.SGD(model.parameters(), 0.5);
        using var folder = RunFolder.Create(_root, $"run{Guid.NewGuid():N}", "all", "recipe steps {}", "[]");
        var recorder = new Recorder(wantsSteps);
        var context = new RunContext(CPU, TextWriter.Null, folder, new ExperimentHooks()) { Observers = [recorder] };
        int calls = 0;
        var result = new Trainer(context).Fit(new FitSpec
        {
            Stage = "finetune",
            Variant = "v",
            Model = model,
            Optimizer = optimizer,
            BaseLearningRate = 0.5,
            Schedule = new ConstantLr(),
            Train = Images(),
            Epochs = 3,
            BatchSize = 4,
            Seed = 3,
            RunSeed = 3,
            Loss = (x, y) =>
            {
                var logits = model.forward(x);
                var loss = nn.functional.cross_entropy(logits, y);
                return (poison?.Invoke(++calls) == true ? loss * double.PositiveInfinity : loss, logits);
            },
            CheckpointPath = checkpointEvery > 0 ? Path.Combine(_root, $"{Guid.NewGuid():N}.ckpt") : null,
            CheckpointEverySteps = checkpointEvery,
        });
        return (result, recorder);
    }

    [Fact]
    public void Epoch_values_are_the_same_bits_whether_steps_are_read_or_not()
    {
        var (_, quiet) = Fit(wantsSteps: false);
        var (_, shown) = Fit(wantsSteps: true);
        var (_, checkpointed) = Fit(wantsSteps: false, checkpointEvery: 2);

        Assert.Empty(quiet.Steps);
        Assert.Equal(15, shown.Steps.Count);
        Assert.Equal(3, quiet.Epochs.Count);
        foreach (var key in new[] { "loss", "train_acc", "lr" })
        {
            Assert.Equal(shown.Epochs.Select(e => BitConverter.DoubleToInt64Bits(e[key])), quiet.Epochs.Select(e => BitConverter.DoubleToInt64Bits(e[key])));
            Assert.Equal(shown.Epochs.Select(e => BitConverter.DoubleToInt64Bits(e[key])), checkpointed.Epochs.Select(e => BitConverter.DoubleToInt64Bits(e[key])));
        }
        // The last step's running mean is the epoch's value, bit for bit.
        for (int epoch = 1; epoch <= 3; epoch++)
        {
            var last = shown.Steps.Single(s => s.Epoch == epoch && s.Step == 5);
            Assert.Equal(BitConverter.DoubleToInt64Bits(shown.Epochs[epoch - 1]["loss"]), BitConverter.DoubleToInt64Bits(last.Loss));
            Assert.Equal(shown.Epochs[epoch - 1]["train_acc"], last.Accuracy);
        }
        // Steps change the running values: the display is fed each step's, not the epoch's at the end.
        Assert.True(shown.Steps.Select(s => s.Loss).Distinct().Count() > 3);
    }

    [Fact]
    public void A_non_finite_loss_read_at_the_epoch_end_still_names_its_step()
    {
        // Finite for the first seven steps, then infinite: epoch 2, step 3, found when the epoch's steps are read.
        var e = Assert.Throws<TrainingDivergedException>(() => Fit(wantsSteps: false, poison: call => call > 7));
        Assert.StartsWith("the finetune loss of variant `v` became Infinity at epoch 2, step 3; training stopped.", e.Message);
    }
}
