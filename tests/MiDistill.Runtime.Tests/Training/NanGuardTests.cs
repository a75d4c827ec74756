using System;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Training;

public sealed class NanGuardTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-nan-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Non_finite_loss_stops_the_stage_naming_where_and_keeps_the_last_good_checkpoint()
    {
        torch.set_num_threads(1);
        torch.manual_seed(0);
        // 16 images of 4x4, batches of 4: four steps per epoch.
        var images = new ImageSet(Enumerable.Range(0, 16 * 16).Select(i => (byte)(i % 251)).ToArray(), Enumerable.Range(0, 16).Select(i => i % 2).ToArray(), 2, 1, 4, 4);
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2));
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var folder = RunFolder.Create(_root, "nan", "all", "recipe nan {}", "[]");
        var context = new RunContext(CPU, TextWriter.Null, folder, new ExperimentHooks());
        var checkpoint = Path.Combine(_root, "stage.ckpt");
        int calls = 0;

        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(context).Fit(new FitSpec
        {
            Stage = "finetune", Variant = "remem", Model = model, Optimizer = optimizer, BaseLearningRate = 0.1,
            Schedule = new ConstantLr(), Train = images, Epochs = 3, BatchSize = 4, Seed = 1, RunSeed = 1,
            // Finite for the first six steps, then NaN: epoch 2, step 3.
            Loss = (x, y) =>
            {
                var logits = model.forward(x);
                var loss = nn.functional.cross_entropy(logits, y);
                return (++calls > 6 ? loss * double.NaN : loss, logits);
            },
            CheckpointPath = checkpoint,
            CheckpointEverySteps = 1,
        }));

        Assert.Equal(
            $"the finetune loss of variant `remem` became NaN at epoch 2, step 3; training stopped and the last good checkpoint ({checkpoint}) was kept. " +
            "Lower the learning rate, enable gradient clipping, or check the data, then start a new run: `resume` continues with the run's saved settings and cannot change them.", e.Message);
        // The checkpoint is the one after step 2 of epoch 2 (global step 6), written before the bad step.
        using var fresh = nn.Sequential(nn.Flatten(), nn.Linear(16, 2));
        using var freshOptimizer = optim.SGD(fresh.parameters(), 0.1);
        var (progress, best) = TrainerCheckpoint.Load(checkpoint, fresh, freshOptimizer);
        Assert.Equal((1, 2, 6L), (progress.Epoch, progress.NextBatch, progress.GlobalStep));
        Assert.All(fresh.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
        Assert.Null(best);
    }
}
