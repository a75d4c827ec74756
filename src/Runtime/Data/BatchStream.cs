using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using MiDistill.Runtime.Augment;

namespace MiDistill.Runtime.Data;

/// <summary>
/// Batches of a set in a fixed order, read and decoded ahead by background workers. Workers take
/// batch numbers in order and build whole batches; the consumer receives them in plan order, so the
/// batches for a plan are the same whatever the worker count. At most <see cref="Window"/> batches
/// are being built or waiting at any time (plus the one the consumer holds), so memory is bounded
/// by the batch size, not the set size. A read that fails (a corrupt file) is rethrown to the
/// consumer when it reaches that batch, with the store's message naming the file. Pixel buffers
/// come from a pool of <see cref="Window"/> + 1 (the batches in flight and the one the consumer
/// holds): a consumer that disposes each <see cref="HostBatch"/> once its tensors are made keeps
/// the stream's managed memory at that many buffers for the whole epoch.
/// </summary>
public sealed class BatchStream : IDisposable
{
    private readonly ImageSet _set;
    private readonly IReadOnlyList<int[]> _plan;
    private readonly float[] _tables;
    private readonly Thread[] _workers;
    private readonly BufferPool _buffers;
    private readonly HostCrop? _crop;
    private readonly Func<int, int>? _augmentSeed;
    private readonly object _gate = new();
    // Finished batches (or their failures) by plan position, until the consumer takes them.
    private readonly Dictionary<int, (HostBatch? Batch, ExceptionDispatchInfo? Error)> _ready = new();
    private int _nextToStart, _nextToHand, _inFlight;
    private bool _stopped;
    // One image's buffers, for decoding on the consumer's thread (workers: 0).
    private HostBatch.Scratch? _scratch;

    /// <param name="workers">Background decoding threads; 0 = decode on the consumer's thread when it asks (no prefetch).</param>
    /// <param name="window">Batches built ahead at most; 0 = twice the workers.</param>
    /// <param name="augment">
    /// The step's augmentations: their leading random-resized-crop and flip, if any, are done per
    /// image here as each batch is built (see <see cref="HostBatch.Augmented"/>); the rest stay with the caller.
    /// </param>
    /// <param name="augmentSeed">The augmentation seed of the batch at each plan position (<see cref="BatchAugmenter.StepSeed"/>); needed with <paramref name="augment"/>.</param>
    public BatchStream(ImageSet set, IReadOnlyList<int[]> plan, int workers, int window = 0, BatchAugmenter? augment = null, Func<int, int>? augmentSeed = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfNegative(workers);
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        s_opened.Value?.Invoke(set.Count, workers);
        _set = set;
        _plan = plan;
        _tables = set.NormalisationTable();
        _crop = augment?.Host;
        if (_crop is not null && augmentSeed is null)
            throw new ArgumentException("augmenting in the workers needs each batch's augmentation seed", nameof(augmentSeed));
        _augmentSeed = augmentSeed;
        Window = workers == 0 ? 0 : window > 0 ? window : 2 * workers;
        _buffers = new BufferPool(Window + 1);
        // More workers than batches would only wait.
        _workers = new Thread[Math.Min(workers, plan.Count)];
        for (int w = 0; w < _workers.Length; w++)
        {
            _workers[w] = new Thread(Work) { IsBackground = true, Name = $"midistill-data-{w}" };
            _workers[w].Start();
        }
    }

    // Tests see which worker count every pass over a split was given, on their own call path only.
    private static readonly AsyncLocal<Action<int, int>?> s_opened = new();

    /// <summary>Calls <paramref name="opened"/> (images in the set, workers asked for) for every stream this call path opens, until disposed.</summary>
    internal static IDisposable Observe(Action<int, int> opened)
    {
        s_opened.Value = opened;
        return new Unobserve();
    }

    private sealed class Unobserve : IDisposable
    {
        public void Dispose() => s_opened.Value = null;
    }

    /// <summary>Background threads for <c>run { workers 0 }</c>: the cores the training threads leave, at least one.</summary>
    public static int AutoWorkers(int trainingThreads) => Math.Max(1, Environment.ProcessorCount - Math.Max(1, trainingThreads));

    /// <summary>Batches built ahead of the consumer at most.</summary>
    public int Window { get; }

    /// <summary>The most batches that were built or waiting at one time (never above <see cref="Window"/>).</summary>
    public int PeakInFlight { get; private set; }

    public int Count => _plan.Count;

    /// <summary>Pixel buffers allocated so far: at most <see cref="Window"/> + 1 (and one for a shorter last batch) when every batch is disposed.</summary>
    public int BuffersAllocated => _buffers.Allocated;

    /// <summary>The next batch of the plan, waiting for a worker if it is not ready; null after the last.</summary>
    public HostBatch? Next()
    {
        if (_nextToHand >= _plan.Count) return null;
        if (_workers.Length == 0)
            return Build(_nextToHand++, _scratch ??= new HostBatch.Scratch(_set.ImageSize));
        (HostBatch? Batch, ExceptionDispatchInfo? Error) entry;
        lock (_gate)
        {
            while (!_ready.ContainsKey(_nextToHand)) Monitor.Wait(_gate);
            _ready.Remove(_nextToHand, out entry);
            _nextToHand++;
            _inFlight--;
            Monitor.PulseAll(_gate);
        }
        if (entry.Error is not null)
        {
            Dispose();
            entry.Error.Throw();
        }
        return entry.Batch;
    }

    /// <summary>Every batch of the plan in order.</summary>
    public IEnumerable<HostBatch> All()
    {
        while (Next() is { } batch) yield return batch;
    }

    private void Work()
    {
        var scratch = new HostBatch.Scratch(_set.ImageSize);
        while (true)
        {
            int b;
            lock (_gate)
            {
                while (!_stopped && _nextToStart < _plan.Count && _inFlight >= Window) Monitor.Wait(_gate);
                if (_stopped || _nextToStart >= _plan.Count) return;
                b = _nextToStart++;
                _inFlight++;
                PeakInFlight = Math.Max(PeakInFlight, _inFlight);
            }
            (HostBatch?, ExceptionDispatchInfo?) result;
            try
            {
                result = (Build(b, scratch), null);
            }
            catch (Exception e)
            {
                result = (null, ExceptionDispatchInfo.Capture(e));
            }
            lock (_gate)
            {
                _ready[b] = result;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private HostBatch Build(int position, HostBatch.Scratch scratch) =>
        HostBatch.Build(_set, _plan[position], _tables, _buffers, scratch, _crop, _crop is null ? 0 : _augmentSeed!(position));

    /// <summary>Stops the workers once their current batch is built; batches not yet taken are dropped.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var worker in _workers.Where(w => w != Thread.CurrentThread)) worker.Join();
        lock (_gate)
        {
            foreach (var (batch, _) in _ready.Values) batch?.Dispose();
            _ready.Clear();
        }
    }
}
