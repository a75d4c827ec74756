using System;
using System.IO;
using MiDistill.Runtime.Reporting;
using TorchSharp;

namespace MiDistill.Runtime.Training;

/// <summary>What every stage of one run shares: device, console, run folder, run state and hooks.</summary>
public sealed class RunContext
{
    private readonly ExperimentHooks _hooks;

    /// <summary>A context for stages composed by hand (docs/api.md): a fresh run state in <paramref name="folder"/>.</summary>
    public RunContext(torch.Device device, TextWriter output, RunFolder folder, ExperimentHooks hooks)
        : this(device, output, folder, hooks, null) { }

    internal RunContext(torch.Device device, TextWriter output, RunFolder folder, ExperimentHooks hooks, RunState? state)
    {
        Device = device;
        Output = output;
        Folder = folder;
        _hooks = hooks;
        State = state ?? new RunState();
        Progress = new Reporting.Progress.PlainProgressDisplay(output);
    }

    /// <summary>Where stages show their progress; default: the plain console output on <see cref="Output"/>.</summary>
    public Reporting.Progress.IProgressDisplay Progress { get; init; }

    public torch.Device Device { get; }

    /// <summary>
    /// Background threads decoding batches (<c>run { workers N }</c>); 0 = the cores the training
    /// threads leave, at least one.
    /// </summary>
    public int Workers
    {
        get => _workers > 0 ? _workers : Data.BatchStream.AutoWorkers(torch.get_num_threads());
        set => _workers = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "workers must be 0 (automatic) or more");
    }

    private int _workers;

    /// <summary>
    /// Keeps the intra-op thread count matched to the cores other processes leave free, checked
    /// between training steps; null when the count is fixed (<c>run { threads N }</c>, <c>--threads</c>).
    /// </summary>
    public ThreadGovernor? Threads { get; init; }

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
