using System;
using System.Collections.Generic;
using System.IO;
using MiDistill.Runtime.Reporting.TensorBoard;
using MiDistill.Runtime.RunFolders;
using TorchSharp;

namespace MiDistill.Runtime.Training;

/// <summary>What every step of one run shares: the process's resources, console, run folder, run state and hooks.</summary>
public sealed class RunContext
{
    private readonly ExperimentHooks _hooks;
    private Steps.AnalysisStage? _analysis;
    private TensorBoardLog? _tensorBoard;
    private IReadOnlyList<ITrainingObserver>? _observers;

    /// <summary>
    /// A context for stages composed by hand (docs/api.md): a fresh run state in <paramref name="folder"/>,
    /// the data workers the threads leave, the default teacher cache.
    /// </summary>
    public RunContext(torch.Device device, TextWriter output, RunFolder folder, ExperimentHooks hooks)
        : this(new Plan.RunResources
        {
            Device = device,
            Workers = Data.BatchStream.AutoWorkers(torch.get_num_threads()),
            OutputDirectory = Path.GetDirectoryName(Path.GetDirectoryName(folder.Path)) ?? folder.Path,
            CacheDirectory = new Options.RunOptions().CacheDirectory,
        }, output, folder, hooks, null)
    { }

    /// <summary>A context for stages composed by hand with resources of your own (<see cref="Plan.RunResources.Resolve"/>).</summary>
    public RunContext(Plan.RunResources resources, TextWriter output, RunFolder folder, ExperimentHooks hooks)
        : this(resources, output, folder, hooks, null) { }

    internal RunContext(Plan.RunResources resources, TextWriter output, RunFolder folder, ExperimentHooks hooks, RunState<VariantResult>? state)
    {
        Resources = resources;
        Output = output;
        Folder = folder;
        _hooks = hooks;
        State = state ?? new RunState<VariantResult>();
        Progress = new Reporting.Progress.PlainProgressDisplay(output);
    }

    /// <summary>Where stages show their progress; default: the plain console output on <see cref="Output"/>.</summary>
    public Reporting.Progress.IProgressDisplay Progress { get; init; }

    /// <summary>
    /// Who watches training, in order; default: <see cref="TrainingObservers.Standard"/> (the
    /// <see cref="Progress"/> display, metrics.jsonl, TensorBoard, the hooks). Every metrics line
    /// reaches the run folder through these.
    /// </summary>
    public IReadOnlyList<ITrainingObserver> Observers
    {
        get => _observers ??= TrainingObservers.Standard(Progress, Folder, TensorBoard, _hooks);
        init => _observers = value;
    }

    /// <summary>The run folder's tensorboard/ (the MI analyses add their scalars beside the metrics').</summary>
    public TensorBoardLog TensorBoard => _tensorBoard ??= new TensorBoardLog(Folder.Path);

    /// <summary>Device, threads, workers and folders: resolved once for the process, used by every step.</summary>
    public Plan.RunResources Resources { get; }

    public torch.Device Device => Resources.Device;

    /// <summary>Background threads decoding batches ahead of every pass over a split: training, validation, test, transfer-set labelling, analyses.</summary>
    public int Workers => Resources.Workers;

    /// <summary>
    /// Keeps the intra-op thread count matched to the cores other processes leave free, checked
    /// between training steps; null when the count is fixed (<c>run { threads N }</c>, <c>--threads</c>).
    /// </summary>
    public ThreadGovernor? Threads => Resources.Threads;

    /// <summary>The pretrained-teacher cache (<c>run.cache</c>, <c>--cache</c>).</summary>
    public string CacheDirectory => Resources.CacheDirectory;

    /// <summary>The run's MI analyses: what the analysis steps measure, summarised when the run ends.</summary>
    internal Steps.AnalysisStage Analysis => _analysis ??= new Steps.AnalysisStage(this);

    public TextWriter Output { get; }
    public RunFolder Folder { get; }

    /// <summary>What the run has finished (checkpoints/state.json).</summary>
    internal RunState<VariantResult> State { get; }

    /// <summary>The replicate (0-based index into <c>run.seed</c>) now running, recorded on every metrics line.</summary>
    public int Replicate { get; set; }

    /// <summary>
    /// Length of metrics.jsonl when the last stage finished (from the run state). A stage that
    /// starts cuts the file back to it, so a replayed stage never leaves its lines twice.
    /// </summary>
    public long CommittedMetricsBytes => State.MetricsBytes;

    /// <summary>Bytes of metrics.jsonl written so far (each line is flushed as it is written).</summary>
    public long MetricsLength()
    {
        var file = new FileInfo(Path.Combine(Folder.Path, RunFolder.MetricsFileName));
        return file.Exists ? file.Length : 0;
    }

    /// <summary>
    /// Records a finished step of the run: metrics written so far belong to it for good. Only lines
    /// of this process follow the committed length (<see cref="Experiment"/> cuts the file back to
    /// it when a run is resumed), so the file's length is the right one to record.
    /// </summary>
    public void Commit()
    {
        State.MetricsBytes = MetricsLength();
        State.Save(Folder.CheckpointsPath);
    }

    /// <summary>Tells the recipe's hook that a stage's model is initialised and about to train.</summary>
    public void ModelReady(string stage, string variant, int seed, torch.nn.Module model) =>
        _hooks.ModelReady?.Invoke(new ModelReadyReport(stage, variant, seed, model));

    /// <summary>A metrics line of this replicate stamped now (its time and the metrics file's elapsed seconds).</summary>
    public MetricsRecord Stamp(string stage, string variant, int seed, int epoch, IReadOnlyDictionary<string, double> values) =>
        new(stage, variant, seed, Replicate, epoch, DateTimeOffset.Now, Folder.Metrics.ElapsedSeconds, values);

    /// <summary>Tells every observer, in order.</summary>
    public void Notify(Action<ITrainingObserver> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var observer in Observers) report(observer);
    }

    /// <summary>
    /// Cuts metrics.jsonl back to the last commit (a stage starts, or a result follows the last
    /// finished step) and, when lines went, tells the observers what the file holds now;
    /// <paramref name="always"/> tells them even when none went (a run folder opened to resume).
    /// </summary>
    public void RewindMetrics(bool always = false)
    {
        if (Folder.TruncateMetrics(CommittedMetricsBytes) || always)
        {
            var lines = Folder.MetricsLines();
            Notify(o => o.Rewound(lines));
        }
    }

    /// <summary>Records again lines written before (a resumed stage's finished epochs, a cached teacher's pretraining).</summary>
    public void Replay(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (lines.Count > 0) Notify(o => o.Replayed(lines));
    }
}
