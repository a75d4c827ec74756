using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using Spectre.Console;

namespace MiDistill.Runtime.Reporting.Progress;

/// <summary>
/// The terminal display (Spectre.Console): a live bar per running stage with epoch, step, loss,
/// accuracy, throughput and time left, redrawn within the epoch; every line the run prints (epoch
/// lines included, in today's format) scrolls above it. Only for an interactive terminal: redirected
/// output keeps <see cref="PlainProgressDisplay"/>.
/// </summary>
public sealed class LiveProgressDisplay : IProgressDisplay
{
    private readonly ProgressContext _context;
    private readonly TextWriter _lines;

    private LiveProgressDisplay(ProgressContext context, TextWriter lines)
    {
        _context = context;
        _lines = lines;
    }

    /// <summary>
    /// Runs <paramref name="run"/> under a live display on <paramref name="console"/>; it gets the
    /// writer its lines must go to (lines written to Console.Out directly would tear the display) and
    /// the display for its stages.
    /// </summary>
    public static T Run<T>(IAnsiConsole console, Func<TextWriter, IProgressDisplay, T> run)
    {
        ArgumentNullException.ThrowIfNull(console);
        T result = default!;
        console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                using var lines = new ConsoleLineWriter(console);
                result = run(lines, new LiveProgressDisplay(context, lines));
            });
        return result;
    }

    public IStageProgress Start(string stage, string variant, int epochs, int stepsPerEpoch, int batchSize)
    {
        var task = _context.AddTask(Markup.Escape($"[{stage}/{variant}] starting"), autoStart: true, maxValue: Math.Max(1, (double)epochs * stepsPerEpoch));
        return new Stage(_context, task, stage, variant, epochs, stepsPerEpoch, batchSize, _lines);
    }

    private sealed class Stage : IStageProgress
    {
        private readonly ProgressContext _context;
        private readonly ProgressTask _task;
        private readonly string _prefix;
        private readonly int _epochs, _steps, _batchSize;
        private readonly ConsoleProgress _epochLines;
        private readonly Stopwatch _epochClock = Stopwatch.StartNew();
        private int _firstStep = -1;
        private bool _drawnThisEpoch;

        public Stage(ProgressContext context, ProgressTask task, string stage, string variant, int epochs, int steps, int batchSize, TextWriter lines)
        {
            _context = context;
            _task = task;
            _prefix = $"[{stage}/{variant}]";
            _epochs = epochs;
            _steps = steps;
            _batchSize = batchSize;
            // The epoch lines above the display are exactly the plain ones.
            _epochLines = new ConsoleProgress(stage, variant, epochs, steps, lines, interactive: false, seconds: StopwatchSeconds());
        }

        public void Step(int epoch, int step, double loss, double accuracy)
        {
            // Throughput over the steps this process ran in this epoch (a resumed epoch starts mid-way).
            if (_firstStep < 0) { _firstStep = step - 1; _epochClock.Restart(); }
            double seconds = _epochClock.Elapsed.TotalSeconds;
            double imagesPerSecond = seconds > 0 ? (step - _firstStep) * (double)_batchSize / seconds : 0;
            _task.Value = (epoch - 1) * (double)_steps + step;
            _task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{_prefix} {epoch}/{_epochs} step {step}/{_steps} loss {loss:0.000} acc {accuracy * 100:0.0}% {imagesPerSecond:0} img/s"));
            // Spectre redraws on its own clock (every 100 ms); an epoch shorter than that would never
            // show a step. The first step of each epoch is drawn at once, the rest on the clock.
            if (!_drawnThisEpoch) { _drawnThisEpoch = true; _context.Refresh(); }
        }

        public void EpochEnd(int epoch, IReadOnlyDictionary<string, double> values)
        {
            _epochLines.EpochEnd(epoch, values);
            _firstStep = -1;
            _drawnThisEpoch = false;
        }

        public void Dispose() => _task.StopTask();

        private static Func<double> StopwatchSeconds()
        {
            var clock = Stopwatch.StartNew();
            return () => clock.Elapsed.TotalSeconds;
        }
    }

    /// <summary>Hands whole lines to the Spectre console, which prints them above the live display.</summary>
    private sealed class ConsoleLineWriter(IAnsiConsole console) : TextWriter
    {
        private readonly StringBuilder _line = new();
        private readonly object _gate = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_gate)
            {
                if (value == '\n') { console.WriteLine(_line.ToString()); _line.Clear(); }
                else if (value != '\r') _line.Append(value);
            }
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            foreach (var c in value) Write(c);
        }

        public override void WriteLine(string? value) => Write((value ?? "") + "\n");

        public override void WriteLine() => Write('\n');

        protected override void Dispose(bool disposing)
        {
            lock (_gate)
                if (_line.Length > 0) { console.WriteLine(_line.ToString()); _line.Clear(); }
            base.Dispose(disposing);
        }
    }
}
