using System;
using System.IO;
using MiDistill.Runtime.Reporting;
using TorchSharp;

namespace MiDistill.Runtime.Training;

/// <summary>What every stage of one run shares: device, console, run folder and hooks.</summary>
public sealed class RunContext
{
    private readonly ExperimentHooks _hooks;

    public RunContext(torch.Device device, TextWriter output, RunFolder folder, ExperimentHooks hooks)
    {
        Device = device;
        Output = output;
        Folder = folder;
        _hooks = hooks;
    }

    public torch.Device Device { get; }

    /// <summary>
    /// Length of metrics.jsonl when the last stage finished (from the run state). A stage that
    /// starts afresh cuts the file back to it, so a replayed stage never leaves its lines twice.
    /// </summary>
    public long CommittedMetricsBytes { get; set; }
    public TextWriter Output { get; }
    public RunFolder Folder { get; }

    /// <summary>Bytes of metrics.jsonl written so far (each line is flushed as it is written).</summary>
    public long MetricsLength()
    {
        var file = new FileInfo(Path.Combine(Folder.Path, RunFolder.MetricsFileName));
        return file.Exists ? file.Length : 0;
    }

    /// <summary>Each finished epoch goes to metrics.jsonl and to the recipe's hook.</summary>
    public void EpochCompleted(EpochReport report)
    {
        Folder.Metrics.Write(report.Stage, report.Variant, report.Epoch, report.Metrics);
        _hooks.EpochCompleted?.Invoke(report);
    }
}
