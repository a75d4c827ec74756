using System;
using System.Collections.Generic;
using System.IO;

namespace MiDistill.Runtime.Reporting.Progress;

/// <summary>
/// Where a run shows its training progress. The trainer starts one <see cref="IStageProgress"/> per
/// stage it fits and knows nothing of terminals: the plain one-line-per-epoch output, the live
/// terminal display and the silent one are choices of the command line (or of a C# caller).
/// </summary>
public interface IProgressDisplay
{
    /// <summary>Progress of one stage of one variant: <paramref name="stepsPerEpoch"/> batches of up to <paramref name="batchSize"/> images per epoch.</summary>
    IStageProgress Start(string stage, string variant, int epochs, int stepsPerEpoch, int batchSize);
}

/// <summary>One stage's progress; epochs and steps are 1-based. Disposed when the stage ends (or fails).</summary>
public interface IStageProgress : IDisposable
{
    /// <summary>After each step: the epoch's running mean loss and train accuracy so far.</summary>
    void Step(int epoch, int step, double loss, double accuracy);

    /// <summary>Whether <see cref="Step"/> shows anything; when no one needs step values the trainer reads them once per epoch. Default: yes.</summary>
    bool ShowsSteps => true;

    /// <summary>After each epoch, with the values printed on today's one epoch line.</summary>
    void EpochEnd(int epoch, IReadOnlyDictionary<string, double> values);
}

/// <summary>
/// Today's console output: one line per finished epoch when output is redirected, one redrawn line on
/// a terminal (<see cref="ConsoleProgress"/>). The default of every run.
/// </summary>
public sealed class PlainProgressDisplay(TextWriter output) : IProgressDisplay
{
    public IStageProgress Start(string stage, string variant, int epochs, int stepsPerEpoch, int batchSize) =>
        new ConsoleProgress(stage, variant, epochs, stepsPerEpoch, output);
}

/// <summary>Nothing at all (<c>--quiet</c>).</summary>
public sealed class SilentProgressDisplay : IProgressDisplay
{
    public IStageProgress Start(string stage, string variant, int epochs, int stepsPerEpoch, int batchSize) => Silent.Instance;

    private sealed class Silent : IStageProgress
    {
        public static readonly Silent Instance = new();
        public void Step(int epoch, int step, double loss, double accuracy) { }
        public void EpochEnd(int epoch, IReadOnlyDictionary<string, double> values) { }
        public void Dispose() { }
    }
}
