using System.Collections.Generic;
using MiDistill.Runtime.Reporting.Progress;
using MiDistill.Runtime.Reporting.TensorBoard;
using MiDistill.Runtime.RunFolders;

namespace MiDistill.Runtime.Training;

/// <summary>The observers of training every run has, in the order their output appears.</summary>
public static class TrainingObservers
{
    /// <summary>Console progress, metrics.jsonl, TensorBoard, then the recipe's hooks (which see an epoch once it is on disk).</summary>
    public static IReadOnlyList<ITrainingObserver> Standard(IProgressDisplay progress, RunFolder folder, TensorBoardLog tensorBoard, ExperimentHooks hooks) =>
    [
        new ProgressObserver(progress),
        new MetricsFileObserver(folder),
        new TensorBoardObserver(tensorBoard),
        new HooksObserver(hooks),
    ];

    /// <summary>The progress display: one <see cref="IStageProgress"/> per stage, shown the loop's own values.</summary>
    private sealed class ProgressObserver(IProgressDisplay display) : ITrainingObserver
    {
        private readonly Dictionary<StageStart, IStageProgress> _stages = new(ReferenceEqualityComparer.Instance);

        public void StageStarted(StageStart stage) =>
            _stages[stage] = display.Start(stage.Stage, stage.Variant, stage.Epochs, stage.StepsPerEpoch, stage.BatchSize);

        public bool WantsSteps(StageStart stage) => _stages[stage].ShowsSteps;

        public void StepFinished(StageStart stage, int epoch, int step, double loss, double accuracy) =>
            _stages[stage].Step(epoch, step, loss, accuracy);

        public void EpochFinished(EpochEnd epoch) => _stages[epoch.Stage].EpochEnd(epoch.Epoch, epoch.Training);

        public void StageEnded(StageStart stage)
        {
            if (_stages.Remove(stage, out var progress)) progress.Dispose();
        }
    }

    /// <summary>metrics.jsonl: every line, flushed as it is written.</summary>
    private sealed class MetricsFileObserver(RunFolder folder) : ITrainingObserver
    {
        public bool WantsSteps(StageStart stage) => false;

        public void EpochFinished(EpochEnd epoch) => folder.Metrics.Append(MetricsWriter.Format(epoch.Record));

        public void Recorded(MetricsRecord record) => folder.Metrics.Append(MetricsWriter.Format(record));

        public void Replayed(IReadOnlyList<string> lines)
        {
            foreach (var line in lines) folder.Metrics.Append(line);
        }
    }

    /// <summary>tensorboard/: the same values as scalars, rebuilt from metrics.jsonl when the file is cut back.</summary>
    private sealed class TensorBoardObserver(TensorBoardLog log) : ITrainingObserver
    {
        public bool WantsSteps(StageStart stage) => false;

        public void EpochFinished(EpochEnd epoch) => log.Record(epoch.Record);

        public void Recorded(MetricsRecord record) => log.Record(record);

        public void Replayed(IReadOnlyList<string> lines)
        {
            foreach (var line in lines) log.Record(MetricsRecord.Parse(line));
        }

        public void Rewound(IReadOnlyList<string> lines) => log.Rebuild(lines);
    }

    /// <summary>The recipe's <c>OnEpochCompleted</c>: every value of the epoch's line.</summary>
    private sealed class HooksObserver(ExperimentHooks hooks) : ITrainingObserver
    {
        public bool WantsSteps(StageStart stage) => false;

        public void EpochFinished(EpochEnd epoch) =>
            hooks.EpochCompleted?.Invoke(new EpochReport(epoch.Stage.Stage, epoch.Stage.Variant, epoch.Epoch, epoch.Stage.Epochs, epoch.Record.Values));
    }
}
