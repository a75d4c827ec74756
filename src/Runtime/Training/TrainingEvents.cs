using System.Collections.Generic;
using MiDistill.Runtime.RunFolders;

namespace MiDistill.Runtime.Training;

/// <summary>A stage of one variant starts fitting: <paramref name="StepsPerEpoch"/> batches of up to <paramref name="BatchSize"/> images per epoch.</summary>
public sealed record StageStart(string Stage, string Variant, int Epochs, int StepsPerEpoch, int BatchSize);

/// <summary>
/// An epoch of <paramref name="Stage"/> finished (1-based <paramref name="Epoch"/>).
/// <paramref name="Training"/> holds the training loop's own values (loss, train_acc, lr, val_acc,
/// epoch_s, data_frac), which the console shows; <paramref name="Record"/> is the epoch's metrics
/// line: those values, then the optimizer's and the stage's (SAM's perturbation norm, the MLP
/// alphas), stamped with the time it was recorded.
/// </summary>
public sealed record EpochEnd(StageStart Stage, int Epoch, IReadOnlyDictionary<string, double> Training, MetricsRecord Record);

/// <summary>
/// Watches training as the trainer and the steps report it. The console progress, metrics.jsonl,
/// TensorBoard and the recipe's hooks are observers (<see cref="TrainingObservers"/>), called in the
/// order the <see cref="RunContext"/> lists them; the trainer writes none of them itself.
/// </summary>
public interface ITrainingObserver
{
    void StageStarted(StageStart stage) { }

    /// <summary>
    /// Whether this observer needs <see cref="StepFinished"/> for the stage (asked once, after
    /// <see cref="StageStarted"/>). Reading a step's loss and accuracy is a host-device
    /// synchronisation; when no observer needs them, the trainer keeps them on the device and reads
    /// them once per epoch (and before a checkpoint). Default: yes.
    /// </summary>
    bool WantsSteps(StageStart stage) => true;

    /// <summary>After each optimizer step (1-based epoch and step): the epoch's running mean loss and train accuracy so far.</summary>
    void StepFinished(StageStart stage, int epoch, int step, double loss, double accuracy) { }

    void EpochFinished(EpochEnd epoch) { }

    /// <summary>The stage ended, finished or failed.</summary>
    void StageEnded(StageStart stage) { }

    /// <summary>A metrics line that is no training epoch: a unit's test metrics (stage <c>evaluate</c>).</summary>
    void Recorded(MetricsRecord record) { }

    /// <summary>
    /// Lines recorded before, recorded again byte for byte: the finished epochs of a stage resumed
    /// from its checkpoint, or a cached teacher's pretraining epochs.
    /// </summary>
    void Replayed(IReadOnlyList<string> lines) { }

    /// <summary>
    /// metrics.jsonl was cut back to the last finished step (work after it is done again), or a run
    /// folder was opened to resume: <paramref name="lines"/> is everything the file now holds.
    /// </summary>
    void Rewound(IReadOnlyList<string> lines) { }
}
