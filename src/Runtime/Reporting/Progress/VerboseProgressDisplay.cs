using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace MiDistill.Runtime.Reporting.Progress;

/// <summary>
/// <c>--verbose</c>: besides what <paramref name="inner"/> shows, a plain line ten times per epoch
/// (step, running loss and accuracy, throughput), so a log of a long epoch shows it moving.
/// </summary>
public sealed class VerboseProgressDisplay(IProgressDisplay inner, TextWriter output) : IProgressDisplay
{
    public const int LinesPerEpoch = 10;

    public IStageProgress Start(string stage, string variant, int epochs, int stepsPerEpoch, int batchSize) =>
        new Stage(inner.Start(stage, variant, epochs, stepsPerEpoch, batchSize), $"[{stage}/{variant}]", epochs, stepsPerEpoch, batchSize, output);

    private sealed class Stage(IStageProgress inner, string prefix, int epochs, int steps, int batchSize, TextWriter output) : IStageProgress
    {
        private readonly int _every = Math.Max(1, steps / LinesPerEpoch);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _firstStep = -1;

        public void Step(int epoch, int step, double loss, double accuracy)
        {
            inner.Step(epoch, step, loss, accuracy);
            if (_firstStep < 0) { _firstStep = step - 1; _clock.Restart(); }
            if (step % _every != 0 || step == steps) return;
            double seconds = _clock.Elapsed.TotalSeconds;
            double rate = seconds > 0 ? (step - _firstStep) * (double)batchSize / seconds : 0;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{prefix} epoch {epoch}/{epochs}  step {step}/{steps}  loss {loss:0.000}  acc {accuracy * 100:0.0}%  {rate:0} img/s"));
            output.Flush();
        }

        public void EpochEnd(int epoch, IReadOnlyDictionary<string, double> values)
        {
            inner.EpochEnd(epoch, values);
            _firstStep = -1;
        }

        public void Dispose() => inner.Dispose();
    }
}
