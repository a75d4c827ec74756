using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace MiDistill.Runtime.Reporting.Progress;

/// <summary>
/// Training progress on the console. On an interactive terminal one line is redrawn in place with
/// <c>\r</c>; when the output is redirected (CI logs, pipes, tests) only one line per finished epoch
/// is written, because carriage-return redraws turn a log file into noise. Epochs and steps are 1-based.
/// </summary>
public sealed class ConsoleProgress : IStageProgress
{
    // Redrawing on every step would cost more than a small model's step.
    private const double RedrawInterval = 0.1;

    private readonly string _prefix;
    private readonly int _epochs;
    private readonly int _stepsPerEpoch;
    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly Func<double> _seconds;
    private double _epochStart;
    private double _lastDraw = double.NegativeInfinity;
    private double _finishedEpochSeconds;
    private int _finishedEpochs;
    private int _lastWidth;

    public ConsoleProgress(string stage, string variant, int epochs, int stepsPerEpoch, TextWriter? output = null)
        : this(stage, variant, epochs, stepsPerEpoch, output ?? Console.Out,
               interactive: (output is null || ReferenceEquals(output, Console.Out)) && !Console.IsOutputRedirected,
               seconds: StopwatchSeconds())
    {
    }

    internal ConsoleProgress(string stage, string variant, int epochs, int stepsPerEpoch, TextWriter output, bool interactive, Func<double> seconds)
    {
        _prefix = $"[{stage}/{variant}]";
        _epochs = epochs;
        _stepsPerEpoch = stepsPerEpoch;
        _output = output;
        _interactive = interactive;
        _seconds = seconds;
        _epochStart = seconds();
    }

    /// <summary>Only the redrawn line of an interactive terminal shows steps.</summary>
    public bool ShowsSteps => _interactive;

    public void Step(int epoch, int step, double loss, double accuracy)
    {
        if (!_interactive)
            return;
        double now = _seconds();
        if (now - _lastDraw < RedrawInterval && step < _stepsPerEpoch)
            return;
        _lastDraw = now;
        double perEpoch = _finishedEpochs > 0
            ? _finishedEpochSeconds / _finishedEpochs
            : (now - _epochStart) / Math.Max(1, step) * _stepsPerEpoch;
        double remaining = Math.Max(0, perEpoch - (now - _epochStart)) + perEpoch * Math.Max(0, _epochs - epoch);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{_prefix} epoch {epoch}/{_epochs}  step {step}/{_stepsPerEpoch}  loss {loss:0.000}  acc {accuracy * 100:0.0}%  {perEpoch:0.0}s/epoch  ETA {Duration(remaining)}");
        Draw(line);
    }

    public void EpochEnd(int epoch, IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double now = _seconds();
        _finishedEpochSeconds += now - _epochStart;
        _finishedEpochs++;
        _epochStart = now;
        double perEpoch = _finishedEpochSeconds / _finishedEpochs;

        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{_prefix} epoch {epoch}/{_epochs}");
        foreach (var (key, value) in values)
            line.Append("  ").Append(key).Append(' ').Append(FormatValue(key, value));
        line.Append(CultureInfo.InvariantCulture, $"  {perEpoch:0.0}s/epoch  ETA {Duration(perEpoch * Math.Max(0, _epochs - epoch))}");

        if (_interactive)
        {
            Draw(line.ToString());
            _output.WriteLine();
            _lastWidth = 0;
            _lastDraw = double.NegativeInfinity;
        }
        else
        {
            _output.WriteLine(line.ToString());
        }
        _output.Flush();
    }

    /// <summary>Accuracy-like values in [0, 1] as percentages; small values (learning rates) in general format.</summary>
    internal static string FormatValue(string key, double value)
    {
        if (key.Contains("acc", StringComparison.OrdinalIgnoreCase) && value is >= 0 and <= 1)
            return (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        if (value == 0 || Math.Abs(value) >= 0.01 || !double.IsFinite(value))
            return value.ToString("0.000", CultureInfo.InvariantCulture);
        return value.ToString("G3", CultureInfo.InvariantCulture);
    }

    internal static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Round(double.IsFinite(seconds) ? seconds : 0));
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");
    }

    private void Draw(string line)
    {
        // Pad over the remains of a longer previous line.
        _output.Write("\r" + line.PadRight(_lastWidth));
        _lastWidth = line.Length;
        _output.Flush();
    }

    /// <summary>Nothing to release: every line is flushed as it is written.</summary>
    public void Dispose() { }

    private static Func<double> StopwatchSeconds()
    {
        var clock = Stopwatch.StartNew();
        return () => clock.Elapsed.TotalSeconds;
    }
}
