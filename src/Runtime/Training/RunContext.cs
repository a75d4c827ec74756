using System;
using System.IO;
using MiDistill.Runtime.Reporting;
using TorchSharp;

namespace MiDistill.Runtime.Training;

/// <summary>What every stage of one run shares: device, console, run folder and hooks.</summary>
internal sealed class RunContext
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
    public TextWriter Output { get; }
    public RunFolder Folder { get; }

    /// <summary>Each finished epoch goes to metrics.jsonl and to the recipe's hook.</summary>
    public void EpochCompleted(EpochReport report)
    {
        Folder.Metrics.Write(report.Stage, report.Variant, report.Epoch, report.Metrics);
        _hooks.EpochCompleted?.Invoke(report);
    }
}
