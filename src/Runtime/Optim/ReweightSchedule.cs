using System;
using System.Linq;
using MiDistill.Runtime.Options;

namespace MiDistill.Runtime.Optim;

public static class ReweightSchedule
{
    /// <summary>
    /// MLP-branch weights for each of <paramref name="depth"/> blocks (bottom first) in 0-based
    /// <paramref name="epoch"/>. The top blocks get alpha (constant) or
    /// 1 + (alpha - 1) min(1, (epoch + 1) / E) (ramp over E epochs); the others keep 1. Per-block
    /// alphas (<see cref="MlpBlocksReweight"/>) follow the same schedule, each towards its own target.
    /// </summary>
    public static double[] Alphas(ReweightOptions o, int depth, int epoch)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth must be >= 1.");
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epoch is 0-based and must be >= 0.");

        var alphas = Enumerable.Repeat(1.0, depth).ToArray();
        switch (o) {
        case NoReweight:
            return alphas;
        case MlpReweight mlp:
            if (mlp.Top < 0 || mlp.Top > depth)
                throw new ArgumentOutOfRangeException(nameof(o), mlp.Top, $"Reweighting the top {mlp.Top} blocks needs 0 <= top <= depth ({depth}).");
            if (!(mlp.Alpha >= 0 && mlp.Alpha <= 1))
                throw new ArgumentOutOfRangeException(nameof(o), mlp.Alpha, "MLP alpha must lie in [0, 1].");
            double target = 1 + (mlp.Alpha - 1) * Progress(mlp.Schedule, epoch);
            for (int i = depth - mlp.Top; i < depth; i++) alphas[i] = target;
            return alphas;
        case MlpBlocksReweight blocks:
            ArgumentNullException.ThrowIfNull(blocks.Alphas, nameof(o));
            if (blocks.Alphas.Count != depth)
                throw new ArgumentException($"Per-block reweighting lists {blocks.Alphas.Count} alphas for a teacher of depth {depth}; give one per block.", nameof(o));
            double progress = Progress(blocks.Schedule, epoch);
            for (int i = 0; i < depth; i++) {
                double alpha = blocks.Alphas[i];
                if (!(alpha >= 0 && alpha <= 1))
                    throw new ArgumentOutOfRangeException(nameof(o), alpha, $"MLP alpha of block {i} must lie in [0, 1].");
                alphas[i] = 1 + (alpha - 1) * progress;
            }
            return alphas;
        default:
            throw new NotSupportedException($"Reweighting type '{o.GetType().Name}' is not supported.");
        }
    }

    // How far alpha has moved from 1 towards its target in 0-based epoch: 1 = all the way.
    private static double Progress(ReweightScheduleOptions schedule, int epoch) => schedule switch {
        ConstantReweightSchedule => 1.0,
        RampReweightSchedule { Epochs: < 0 } ramp =>
            throw new ArgumentOutOfRangeException(nameof(schedule), ramp.Epochs, "Ramp epochs must be >= 0."),
        // A zero-length ramp is the constant schedule.
        RampReweightSchedule ramp => ramp.Epochs == 0 ? 1.0 : Math.Min(1.0, (epoch + 1) / (double)ramp.Epochs),
        null => throw new ArgumentNullException(nameof(schedule), "Reweighting needs a schedule."),
        _ => throw new NotSupportedException($"Reweight schedule type '{schedule.GetType().Name}' is not supported."),
    };
}
