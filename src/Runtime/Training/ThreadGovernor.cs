using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;

namespace MiDistill.Runtime.Training;

/// <summary>
/// LibTorch's intra-op thread count when a run leaves it to MiDistill (<c>run { threads 0 }</c>, the
/// default): the cores other processes leave free, chosen when the run starts and checked again
/// every few seconds between training steps. A thread on a core another process holds makes every
/// parallel region wait for the scheduler to give it back (a 2-thread step with one of two cores
/// busy took 5x as long as on an idle machine, docs/performance.md); one thread fewer costs that
/// core's share and no more. A busier machine takes threads away at the next check; threads come
/// back only after two checks agree, so a short burst of other work does not make them flap.
/// </summary>
public sealed class ThreadGovernor
{
    /// <summary>How long a check measures the others' load (the run's first check waits this long before training).</summary>
    public static readonly TimeSpan StartWindow = TimeSpan.FromMilliseconds(400);

    /// <summary>Time between the checks made between steps.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    // A core counts as taken when others used more than this share of one: a core shared with
    // anything steady costs more than leaving it, and an idle machine's background stays far below.
    internal const double SharedCoreTolerance = 0.3;

    private readonly int _allowedCores, _limit;
    private readonly Func<CpuTimes?> _read;
    private readonly Action<int> _setThreads;
    private readonly Func<TimeSpan> _elapsed;
    private readonly TextWriter _output;
    private CpuTimes _last;
    private TimeSpan _lastCheck;
    private int _raiseTo;

    internal ThreadGovernor(int allowedCores, int limit, CpuTimes first, Func<CpuTimes?> read, Action<int> setThreads, Func<TimeSpan> elapsed, TextWriter output)
    {
        _allowedCores = allowedCores;
        _limit = limit;
        _last = first;
        _read = read;
        _setThreads = setThreads;
        _elapsed = elapsed;
        _output = output;
        _lastCheck = elapsed();
        Threads = limit;
    }

    /// <summary>The thread count now in force.</summary>
    public int Threads { get; private set; }

    /// <summary>The others' load the last check measured, in cores.</summary>
    public double OtherCores { get; private set; }

    /// <summary>
    /// Sets the run's thread count: <paramref name="requested"/> when the recipe or the command line
    /// fixed it (no governor, null), otherwise the free cores measured now, returning the governor
    /// that keeps it matched to the load. Off Linux (no /proc) every core is used, as before.
    /// </summary>
    public static ThreadGovernor? Start(int requested, TextWriter output)
    {
        if (requested > 0)
        {
            torch.set_num_threads(requested);
            return null;
        }
        int limit = Environment.ProcessorCount;
        if (limit == 1 || CpuLoad.Read() is not { } first)
        {
            torch.set_num_threads(limit);
            return null;
        }
        var clock = Stopwatch.StartNew();
        var governor = new ThreadGovernor(first.Cores, limit, first, CpuLoad.Read, torch.set_num_threads, () => clock.Elapsed, output);
        Thread.Sleep(StartWindow);
        governor.Check(initial: true);
        return governor;
    }

    /// <summary>How many threads to run when others keep <paramref name="otherCores"/> of <paramref name="allowedCores"/> busy, at most <paramref name="limit"/>.</summary>
    public static int Choose(int allowedCores, int limit, double otherCores)
    {
        int taken = (int)Math.Ceiling(Math.Max(0, otherCores - SharedCoreTolerance));
        return Math.Clamp(allowedCores - taken, 1, Math.Max(1, limit));
    }

    /// <summary>Measures and adjusts when a <see cref="Window"/> has passed since the last check; called between training steps and units.</summary>
    public void CheckIfDue()
    {
        if (_elapsed() - _lastCheck >= Window) Check(initial: false);
    }

    private void Check(bool initial)
    {
        if (_read() is not { } now)
        {
            // Unreadable now (it was readable a moment ago): the first check still sets a count,
            // and the next try waits a window like any check.
            if (initial) Apply(Threads, initial);
            _lastCheck = _elapsed();
            return;
        }
        OtherCores = CpuLoad.OtherCores(_last, now);
        _last = now;
        _lastCheck = _elapsed();
        int wanted = Choose(_allowedCores, _limit, OtherCores);
        if (initial || wanted < Threads || (wanted > Threads && _raiseTo == wanted)) Apply(wanted, initial);
        // A raise waits for a second check that agrees; anything else cancels a pending one.
        _raiseTo = wanted > Threads ? wanted : 0;
    }

    private void Apply(int threads, bool initial)
    {
        if (!initial && threads != Threads)
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"threads: {Threads} -> {threads} (other processes are using {OtherCores:0.0} of {_allowedCores} cores)"));
        Threads = threads;
        _setThreads(threads);
    }

    /// <summary>The header's account of the choice, e.g. "chosen from the free cores: other processes used 1.0 of 2".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"chosen from the free cores: other processes used {OtherCores:0.0} of {_allowedCores}");
}
