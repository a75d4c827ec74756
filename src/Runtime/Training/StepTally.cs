using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>
/// One epoch's step losses (float32, as the loss is) and correct counts, kept on the training device
/// so a step does not wait for the host to read them (a synchronisation per step on a GPU). The
/// host reads the steps it has not read yet in one copy (<see cref="Read"/>) when it needs them.
/// </summary>
internal sealed class StepTally : IDisposable
{
    private readonly int[][] _batches;
    private readonly int _first;
    private readonly Tensor _losses;
    private readonly Tensor _correct;
    private int _read;

    /// <param name="batches">The epoch's batch plan; steps <paramref name="first"/> and later are recorded.</param>
    public StepTally(int[][] batches, int first, Device device)
    {
        _batches = batches;
        _first = first;
        _read = first;
        int count = Math.Max(1, batches.Length - first);
        _losses = zeros(count, dtype: ScalarType.Float32, device: device);
        _correct = zeros(count, dtype: ScalarType.Int64, device: device);
    }

    /// <summary>Step <paramref name="step"/>'s batch loss (a scalar) and correct count, copied on the device.</summary>
    public void Record(int step, Tensor loss, Tensor correct)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _losses[step - _first].copy_(loss.detach());
        _correct[step - _first].copy_(correct);
    }

    /// <summary>Steps read so far up to <paramref name="end"/> (exclusive), in order: (step, loss, correct, batch size).</summary>
    public IEnumerable<(int Step, float Loss, long Correct, int Size)> Read(int end)
    {
        if (end <= _read) yield break;
        int from = _read, count = end - from;
        float[] losses;
        long[] correct;
        using (var scope = NewDisposeScope())
        {
            losses = _losses.narrow(0, from - _first, count).cpu().data<float>().ToArray();
            correct = _correct.narrow(0, from - _first, count).cpu().data<long>().ToArray();
        }
        _read = end;
        for (int i = 0; i < count; i++)
            yield return (from + i, losses[i], correct[i], _batches[from + i].Length);
    }

    public void Dispose()
    {
        _losses.Dispose();
        _correct.Dispose();
    }
}
