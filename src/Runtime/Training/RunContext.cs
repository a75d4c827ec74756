using System;
using System.IO;
using MiDistill.Runtime.Reporting;
using TorchSharp;

namespace MiDistill.Runtime.Training;

/// <summary>What every step of one run shares: the process's resources, console, run folder, run state and hooks.</summary>
public sealed class RunContext
{
    private readonly ExperimentHooks _hooks;
    private Steps.AnalysisStage? _analysis;

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

    internal RunContext(Plan.RunResources resources, TextWriter output, RunFolder folder, ExperimentHooks hooks, RunState? state)
    {
        Resources = resources;
        Output = output;
        Folder = folder;
        _hooks = hooks;
        State = state ?? new RunState();
        Progress = new Reporting.Progress.PlainProgressDisplay(output);
    }

    /// <summary>Where stages show their progress; default: the plain console output on <see cref="Output"/>.</summary>
    public Reporting.Progress.IProgressDisplay Progress { get; init; }

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
    internal RunState State { get; }

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

    /// <summary>Each finished epoch goes to metrics.jsonl and to the recipe's hook; returns the line written.</summary>
    public string EpochCompleted(EpochReport report, int seed)
    {
        var line = Folder.Metrics.Write(report.Stage, report.Variant, seed, Replicate, report.Epoch, report.Metrics);
        _hooks.EpochCompleted?.Invoke(report);
        return line;
    }
}
