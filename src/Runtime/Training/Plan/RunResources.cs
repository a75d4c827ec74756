using System;
using System.IO;
using MiDistill.Runtime.Options;
using TorchSharp;
using DeviceType = TorchSharp.DeviceType;

namespace MiDistill.Runtime.Training.Plan;

/// <summary>
/// What the process lends a run: the device, the intra-op threads, the data workers and the two
/// folders. Resolved once per process from the recipe's <c>run</c> section and the command line, and
/// used by every step (training, validation, test evaluation, transfer-set labelling, analyses).
/// They are not variant settings: the compiler rejects them in a variant or a sweep (MD0170), and
/// <see cref="Check"/> rejects options built in C# whose variants disagree on them.
/// </summary>
public sealed record RunResources
{
    public required torch.Device Device { get; init; }

    /// <summary>Background threads decoding batches ahead of every pass over a split (at least 1).</summary>
    public required int Workers { get; init; }

    /// <summary>Keeps the intra-op thread count matched to the cores others leave free; null when the count is fixed.</summary>
    public ThreadGovernor? Threads { get; init; }

    /// <summary>Root of run folders (<c>run.output</c>, <c>--output</c>).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The pretrained-teacher cache (<c>run.cache</c>, <c>--cache</c>).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>
    /// Sets the thread count (or starts the governor that keeps it matched to the load), picks the
    /// device and sizes the workers from the threads chosen.
    /// </summary>
    public static RunResources Resolve(RunOptions run, TextWriter output)
    {
        var device = DeviceSelector.Resolve(run.Device);
        var governor = ThreadGovernor.Start(run.Threads, output);
        return new RunResources
        {
            Device = device,
            Threads = governor,
            // Sized once, from the cores the first choice of threads leaves (on a GPU: every core but one).
            Workers = run.Workers > 0 ? run.Workers : AutoWorkers(device.type, torch.get_num_threads(), Environment.ProcessorCount),
            OutputDirectory = run.OutputDirectory,
            CacheDirectory = run.CacheDirectory,
        };
    }

    /// <summary>
    /// Data workers for <c>run { workers 0 }</c>. On the CPU, the cores the intra-op threads leave, at
    /// least one. On a GPU the intra-op threads are nearly idle (the step runs on the device) while
    /// every batch is still decoded, normalised and cropped on the CPU: every core but the training
    /// thread's decodes (an idle 16-core GPU node got one worker before).
    /// </summary>
    internal static int AutoWorkers(DeviceType device, int threads, int cores) =>
        device == DeviceType.CPU ? Math.Max(1, cores - Math.Max(1, threads)) : Math.Max(1, cores - 1);

    /// <summary>The process settings of one run: every variant must agree on them.</summary>
    public static RunOptions Check(System.Collections.Generic.IReadOnlyList<ExperimentOptions> variants)
    {
        var first = variants[0].Run;
        foreach (var v in variants)
        {
            string? differs =
                v.Run.Device != first.Device ? "run.device" :
                v.Run.Threads != first.Threads ? "run.threads" :
                v.Run.Workers != first.Workers ? "run.workers" :
                v.Run.OutputDirectory != first.OutputDirectory ? "run.output" :
                v.Run.CacheDirectory != first.CacheDirectory ? "run.cache" : null;
            if (differs is not null)
                throw new ArgumentException($"variant `{v.Variant}` sets {differs} differently from variant `{variants[0].Variant}`; " +
                    "device, threads, workers, output and cache belong to the process and are shared by every variant of a run");
        }
        return first;
    }
}
