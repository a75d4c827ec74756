using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>What one stage trains: the loop below knows no concrete architecture or loss.</summary>
public sealed record FitSpec
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
    /// <summary>The recipe's seed this stage runs under (pretraining: its own), recorded on every metrics line.</summary>
    public required int RunSeed { get; init; }
    /// <summary>Loss and logits of one batch (images already normalised, on the device).</summary>
    public required Func<Tensor, Tensor, (Tensor Loss, Tensor Logits)> Loss { get; init; }
    /// <summary>Accuracy on the validation split, used to keep the best epoch; null = keep the last.</summary>
    public Func<double>? Validate { get; init; }
    /// <summary>Called before each epoch (0-based), e.g. to set the MLP reweighting schedule.</summary>
    public Action<int>? BeforeEpoch { get; init; }
    /// <summary>Where this stage's resumable checkpoint lives; null = not checkpointed.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>Also checkpoint every this many steps inside an epoch (0 = at epoch ends only).</summary>
    public int CheckpointEverySteps { get; init; }
    /// <summary>Epochs (1-based) after which the model's weights are kept (the paper's selection protocol).</summary>
    public IReadOnlyCollection<int> SnapshotEpochs { get; init; } = Array.Empty<int>();
    public Func<int, string>? SnapshotPath { get; init; }

    // Training methods (issue #4): applied inside Step only.
    /// <summary>Augments each batch before <see cref="Loss"/> sees it (seeded per (Seed, epoch, step)); null = none.</summary>
    public global::MiDistill.Runtime.Augment.BatchAugmenter? Augment { get; init; }
    /// <summary>Clips the gradient's global norm to this value before every optimizer step; 0 = off.</summary>
    public double ClipGrad { get; init; }
    /// <summary>More values for each epoch's metrics line (e.g. the MLP alphas), read after the epoch; null = none.</summary>
    public Func<IReadOnlyDictionary<string, double>>? EpochMetrics { get; init; }
    /// <summary>
    /// Replaces <see cref="Augment"/> when set: given the batch's image indices into <see cref="Train"/>,
    /// the epoch (0-based) and the decoded images and labels, gives the images and targets the loss
    /// sees (the teacher-output cache replays each image's stored view here); null = the augmenter.
    /// </summary>
    public Func<int[], int, Tensor, Tensor, (Tensor Images, Tensor Targets)>? PrepareBatch { get; init; }
}

/// <summary>How a stage ended; <see cref="Lines"/> are its metrics lines, every epoch's, as written.</summary>
public sealed record FitResult(int BestEpoch, double BestValidationAccuracy, double Seconds, string[] Lines);

/// <summary>A loss became NaN or infinite; the stage's last good checkpoint stays on disk.</summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);

/// <summary>
/// The one training loop every stage uses. It reports what happens (a stage starts, a step, an
/// epoch's values, a resumed stage's replayed epochs) to the run's <see cref="ITrainingObserver"/>s,
/// which show and record it; it writes no console line of progress, metrics line or event itself.
/// </summary>
public sealed class Trainer
{
    // Finalizers of TorchSharp tensors only run when the GC does; collecting every few dozen
    // steps keeps resident memory flat (see docs/architecture.md, "Memory").
    private const int CollectEverySteps = 50;

    private readonly RunContext _context;
    // Stopwatch ticks spent building batches in the current epoch.
    private long _dataTicks;

    public Trainer(RunContext context) => _context = context;

    public FitResult Fit(FitSpec spec)
    {
        var watch = Stopwatch.StartNew();
        int steps = (spec.Train.Count + spec.BatchSize - 1) / spec.BatchSize;
        long totalSteps = (long)steps * spec.Epochs;
        var stage = new StageStart(spec.Stage, spec.Variant, spec.Epochs, steps, spec.BatchSize);
        _context.Notify(o => o.StageStarted(stage));
        bool stepsWanted = _context.Observers.Any(o => o.WantsSteps(stage));
        var state = new TrainerProgress
        {
            Stage = spec.Stage, Variant = spec.Variant, Epoch = 0, NextBatch = 0, GlobalStep = 0,
            LossSum = 0, Correct = 0, Seen = 0, BestAccuracy = double.NegativeInfinity, BestEpoch = spec.Epochs, HasBest = false,
            Lines = Array.Empty<string>(),
        };
        Dictionary<string, Tensor>? best = null;

        try
        {
            // The stage's lines start where the last finished stage's ended; a resumed stage first
            // writes again the lines of the epochs its checkpoint has finished.
            _context.RewindMetrics();
            if (spec.CheckpointPath is not null && File.Exists(spec.CheckpointPath))
            {
                (state, best) = TrainerCheckpoint.Load(spec.CheckpointPath, spec.Model, spec.Optimizer);
                _context.Replay(state.Lines);
                _context.Output.WriteLine($"[{spec.Stage}/{spec.Variant}] resuming at epoch {state.Epoch + 1}, step {state.NextBatch + 1} from {spec.CheckpointPath}");
            }

            for (int epoch = state.Epoch; epoch < spec.Epochs; epoch++)
            {
                var epochWatch = Stopwatch.StartNew();
                _dataTicks = 0;
                spec.BeforeEpoch?.Invoke(epoch);
                spec.Model.train();
                double lr = spec.BaseLearningRate;
                var batches = BatchPlan.Epoch(spec.Train.Count, spec.BatchSize, shuffle: true, spec.Seed, epoch);
                // Background workers decode the epoch's batches ahead of the steps, in plan order.
                // Their leading random-resized-crop and flip are done per image there too, from each step's seed.
                int first = state.NextBatch, seedEpoch = epoch;
                using var stream = new BatchStream(spec.Train, batches[first..], _context.Workers, augment: spec.PrepareBatch is null ? spec.Augment : null,
                    augmentSeed: p => global::MiDistill.Runtime.Augment.BatchAugmenter.StepSeed(spec.Seed, seedEpoch, first + p));
                // Each step's loss and correct count stay on the device; the host reads them (one
                // synchronisation) per step only when an observer shows steps, else before a checkpoint
                // and at the epoch's end, and sums them in step order as it always did.
                using var tally = new StepTally(batches, first, _context.Device);
                for (int b = state.NextBatch; b < batches.Length; b++)
                {
                    lr = spec.BaseLearningRate * LrSchedule.Factor(spec.Schedule, state.GlobalStep, totalSteps, steps);
                    OptimizerFactory.SetLearningRate(spec.Optimizer, lr);
                    Step(spec, stream, epoch, b, batches[b], tally);
                    state = state with { Epoch = epoch, NextBatch = b + 1, GlobalStep = state.GlobalStep + 1 };
                    bool checkpoint = spec.CheckpointEverySteps > 0 && state.GlobalStep % spec.CheckpointEverySteps == 0 && b + 1 < batches.Length;
                    if (stepsWanted || checkpoint)
                    {
                        state = Tally(spec, state, tally, epoch, b + 1);
                        double meanLoss = state.LossSum / state.Seen, trainAccuracy = (double)state.Correct / state.Seen;
                        int shownEpoch = epoch + 1, shownStep = b + 1;
                        if (stepsWanted) _context.Notify(o => o.StepFinished(stage, shownEpoch, shownStep, meanLoss, trainAccuracy));
                    }
                    _context.Threads?.CheckIfDue();
                    if (state.GlobalStep % CollectEverySteps == 0) GC.Collect();
                    if (checkpoint) Checkpoint(spec, state, best);
                }
                state = Tally(spec, state, tally, epoch, batches.Length);

                var values = new Dictionary<string, double>
                {
                    ["loss"] = state.LossSum / Math.Max(1, state.Seen),
                    ["train_acc"] = (double)state.Correct / Math.Max(1, state.Seen),
                    ["lr"] = lr,
                };
                if (spec.Validate is not null)
                {
                    double accuracy = spec.Validate();
                    values["val_acc"] = accuracy;
                    if (accuracy > state.BestAccuracy)
                    {
                        state = state with { BestAccuracy = accuracy, BestEpoch = epoch + 1, HasBest = true };
                        DisposeAll(best);
                        best = Snapshot(spec.Model);
                    }
                }
                if (spec.SnapshotEpochs.Contains(epoch + 1) && spec.SnapshotPath is not null)
                    Checkpoints.ModelFile.Save(spec.Model, spec.SnapshotPath(epoch + 1));
                values["epoch_s"] = epochWatch.Elapsed.TotalSeconds;
                // Share of the epoch the training thread spent waiting for a decoded batch and
                // turning it into (augmented) tensors: the time training waits for data.
                values["data_frac"] = Stopwatch.GetElapsedTime(0, _dataTicks).TotalSeconds / Math.Max(1e-9, epochWatch.Elapsed.TotalSeconds);
                // The console shows the loop's own values; the line (metrics.jsonl, TensorBoard, the
                // hooks) adds the optimizer's and the stage's after them.
                var training = new Dictionary<string, double>(values);
                if (spec.Optimizer is IOptimizerMetrics reporting)
                    foreach (var (key, value) in reporting.EpochMetrics()) values[key] = value;
                foreach (var (key, value) in spec.EpochMetrics?.Invoke() ?? new Dictionary<string, double>()) values[key] = value;
                var record = _context.Stamp(spec.Stage, spec.Variant, spec.RunSeed, epoch + 1, values);
                var ended = new EpochEnd(stage, epoch + 1, training, record);
                _context.Notify(o => o.EpochFinished(ended));
                // The checkpoint keeps the line as written, so a resumed stage records it again byte for byte.
                var written = MetricsWriter.Format(record);

                state = state with { Epoch = epoch + 1, NextBatch = 0, LossSum = 0, Correct = 0, Seen = 0, Lines = [.. state.Lines, written] };
                if (epoch + 1 < spec.Epochs) Checkpoint(spec, state, best);
            }

            if (best is not null) Restore(spec.Model, best);
            return new FitResult(state.BestEpoch, spec.Validate is null ? double.NaN : state.BestAccuracy, watch.Elapsed.TotalSeconds, state.Lines);
        }
        finally
        {
            DisposeAll(best);
            _context.Notify(o => o.StageEnded(stage));
        }
    }

    private void Checkpoint(FitSpec spec, TrainerProgress state, Dictionary<string, Tensor>? best)
    {
        if (spec.CheckpointPath is null) return;
        TrainerCheckpoint.Save(spec.CheckpointPath, state, spec.Model, spec.Optimizer, best);
    }

    /// <summary>
    /// Adds the tally's steps not yet read, up to <paramref name="end"/> (exclusive), to the epoch's
    /// sums in step order, exactly as a per-step read did (float loss widened to double, times the
    /// batch size); stops the stage at the first non-finite loss.
    /// </summary>
    private static TrainerProgress Tally(FitSpec spec, TrainerProgress state, StepTally tally, int epoch, int end)
    {
        double lossSum = state.LossSum;
        long correct = state.Correct, seen = state.Seen;
        foreach (var (b, loss, hits, size) in tally.Read(end))
        {
            if (float.IsNaN(loss) || float.IsInfinity(loss))
                throw new TrainingDivergedException(
                    $"the {spec.Stage} loss of variant `{spec.Variant}` became {loss.ToString(CultureInfo.InvariantCulture)} at epoch {epoch + 1}, step {b + 1}; " +
                    "training stopped" + (spec.CheckpointPath is null ? "" : $" and the last good checkpoint ({spec.CheckpointPath}) was kept") +
                    ". Lower the learning rate, enable gradient clipping, or check the data, then start a new run: " +
                    "`resume` continues with the run's saved settings and cannot change them.");
            lossSum += (double)loss * size;
            correct += hits;
            seen += size;
        }
        return state with { LossSum = lossSum, Correct = correct, Seen = seen };
    }

    /// <summary>One optimisation step inside its own dispose scope; its loss and correct count go to <paramref name="tally"/> on the device.</summary>
    private void Step(FitSpec spec, BatchStream stream, int epoch, int step, int[] indices, StepTally tally)
    {
        using var scope = NewDisposeScope();
        DeviceRandom.BeforeStep(_context.Device, spec.Seed, epoch, step);
        long dataStart = Stopwatch.GetTimestamp();
        var batch = stream.Next() ?? throw new InvalidOperationException($"the batch stream of {spec.Stage} ended before step {step + 1}");
        Tensor images, labels;
        // The tensors are copies: the batch's buffer goes back to the stream for a later batch at once.
        using (batch) (images, labels) = batch.ToTensors(_context.Device);
        // Targets are class indices, or class probabilities after mixup; train accuracy counts the original labels.
        var targets = labels;
        if (spec.PrepareBatch is not null)
            (images, targets) = spec.PrepareBatch(indices, epoch, images, labels);
        else if (spec.Augment is { IsEmpty: false } augment)
            (images, targets) = augment.Apply(batch, images, labels, global::MiDistill.Runtime.Augment.BatchAugmenter.StepSeed(spec.Seed, epoch, step));
        _dataTicks += Stopwatch.GetTimestamp() - dataStart;
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

        // One path for every optimizer: each evaluates the closure as often as it needs (SAM twice).
        var batchLoss = spec.Optimizer.step(Closure);
        tally.Record(step, batchLoss, firstLogits!.argmax(1).eq(labels).sum());
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
