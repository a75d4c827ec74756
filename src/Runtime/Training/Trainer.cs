using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>What one stage trains: the loop below knows no concrete architecture or loss.</summary>
internal sealed record FitSpec
{
    public required string Stage { get; init; }
    public required string Variant { get; init; }
    public required nn.Module<Tensor, Tensor> Model { get; init; }
    public required optim.Optimizer Optimizer { get; init; }
    public required double BaseLearningRate { get; init; }
    public required LrScheduleOptions Schedule { get; init; }
    public required ImageSet Train { get; init; }
    public required int Epochs { get; init; }
    public required int BatchSize { get; init; }
    public required int Seed { get; init; }
    /// <summary>Loss and logits of one batch (images already normalised, on the device).</summary>
    public required Func<Tensor, Tensor, (Tensor Loss, Tensor Logits)> Loss { get; init; }
    /// <summary>Accuracy on the validation split, used to keep the best epoch; null = keep the last.</summary>
    public Func<double>? Validate { get; init; }
    /// <summary>Called before each epoch (0-based), e.g. to set the MLP reweighting schedule.</summary>
    public Action<int>? BeforeEpoch { get; init; }

    // Training methods (issue #4): applied inside Step only.
    /// <summary>Augments each batch before <see cref="Loss"/> sees it (seeded per (Seed, epoch, step)); null = none.</summary>
    public global::MiDistill.Runtime.Augment.BatchAugmenter? Augment { get; init; }
    /// <summary>Clips the gradient's global norm to this value before every optimizer step; 0 = off.</summary>
    public double ClipGrad { get; init; }
}

internal sealed record FitResult(int BestEpoch, double BestValidationAccuracy, double Seconds);

/// <summary>The one training loop every stage uses.</summary>
internal sealed class Trainer
{
    // Finalizers of TorchSharp tensors only run when the GC does; collecting every few dozen
    // steps keeps resident memory flat (see docs/architecture.md, "Memory").
    private const int CollectEverySteps = 50;

    private readonly RunContext _context;

    public Trainer(RunContext context) => _context = context;

    public FitResult Fit(FitSpec spec)
    {
        var watch = Stopwatch.StartNew();
        int steps = (spec.Train.Count + spec.BatchSize - 1) / spec.BatchSize;
        long totalSteps = (long)steps * spec.Epochs;
        var progress = new ConsoleProgress(spec.Stage, spec.Variant, spec.Epochs, steps, _context.Output);
        Dictionary<string, Tensor>? best = null;
        double bestAccuracy = double.NegativeInfinity;
        int bestEpoch = spec.Epochs;
        long globalStep = 0;

        try
        {
            for (int epoch = 0; epoch < spec.Epochs; epoch++)
            {
                var epochWatch = Stopwatch.StartNew();
                spec.BeforeEpoch?.Invoke(epoch);
                spec.Model.train();
                double lossSum = 0;
                long correct = 0, seen = 0;
                double lr = spec.BaseLearningRate;
                var batches = BatchPlan.Epoch(spec.Train.Count, spec.BatchSize, shuffle: true, spec.Seed, epoch);
                for (int b = 0; b < batches.Length; b++, globalStep++)
                {
                    lr = spec.BaseLearningRate * LrSchedule.Factor(spec.Schedule, globalStep, totalSteps, steps);
                    OptimizerFactory.SetLearningRate(spec.Optimizer, lr);
                    var (loss, hits) = Step(spec, batches[b], epoch, b);
                    if (double.IsNaN(loss) || double.IsInfinity(loss))
                        throw new InvalidOperationException($"the {spec.Stage} loss of variant `{spec.Variant}` became {loss} at epoch {epoch + 1}, step {b + 1}; lower the learning rate or check the data");
                    lossSum += loss * batches[b].Length;
                    correct += hits;
                    seen += batches[b].Length;
                    progress.Step(epoch + 1, b + 1, lossSum / seen, (double)correct / seen);
                    if (globalStep % CollectEverySteps == CollectEverySteps - 1) GC.Collect();
                }

                var values = new Dictionary<string, double>
                {
                    ["loss"] = lossSum / Math.Max(1, seen),
                    ["train_acc"] = (double)correct / Math.Max(1, seen),
                    ["lr"] = lr,
                };
                if (spec.Validate is not null)
                {
                    double accuracy = spec.Validate();
                    values["val_acc"] = accuracy;
                    if (accuracy > bestAccuracy)
                    {
                        bestAccuracy = accuracy;
                        bestEpoch = epoch + 1;
                        DisposeAll(best);
                        best = Snapshot(spec.Model);
                    }
                }
                values["epoch_s"] = epochWatch.Elapsed.TotalSeconds;
                progress.EpochEnd(epoch + 1, values);
                _context.EpochCompleted(new EpochReport(spec.Stage, spec.Variant, epoch + 1, spec.Epochs, values));
            }

            if (best is not null) Restore(spec.Model, best);
            return new FitResult(bestEpoch, spec.Validate is null ? double.NaN : bestAccuracy, watch.Elapsed.TotalSeconds);
        }
        finally
        {
            DisposeAll(best);
        }
    }

    /// <summary>One optimisation step inside its own dispose scope; returns the batch loss and correct count.</summary>
    private (double Loss, long Correct) Step(FitSpec spec, int[] batch, int epoch, int step)
    {
        using var scope = NewDisposeScope();
        var (images, labels) = spec.Train.ToTensors(batch, InputAdapter.FashionMnistMean, InputAdapter.FashionMnistStd, _context.Device);
        // Targets are class indices, or class probabilities after mixup; train accuracy counts the original labels.
        var targets = labels;
        if (spec.Augment is { IsEmpty: false } augment)
            (images, targets) = augment.Apply(images, labels, global::MiDistill.Runtime.Augment.BatchAugmenter.StepSeed(spec.Seed, epoch, step));
        Tensor? firstLogits = null;
        Tensor Closure()
        {
            spec.Optimizer.zero_grad();
            var (loss, logits) = spec.Loss(images, targets);
            loss.backward();
            // Clipping both SAM passes is clipping the one the base optimizer uses: the climb only
            // depends on the gradient's direction.
            if (spec.ClipGrad > 0) GradientClipping.ClipByGlobalNorm(spec.Model.parameters(), spec.ClipGrad);
            firstLogits ??= logits.detach();
            return loss;
        }

        Tensor batchLoss;
        if (spec.Optimizer is Sam sam)
            batchLoss = sam.step(Closure);
        else
        {
            batchLoss = Closure();
            spec.Optimizer.step();
        }
        long correct = firstLogits!.argmax(1).eq(labels).sum().item<long>();
        return (batchLoss.item<float>(), correct);
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module model)
    {
        using var _ = no_grad();
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void Restore(nn.Module model, Dictionary<string, Tensor> state)
    {
        using var _ = no_grad();
        foreach (var (name, tensor) in model.state_dict())
            tensor.copy_(state[name]);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
    }
}
