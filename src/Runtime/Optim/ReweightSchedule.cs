using System;
using System.Linq;
using MiDistill.Runtime.Options;

namespace MiDistill.Runtime.Optim;

public static class ReweightSchedule
{
    /// <summary>
    /// MLP-branch weights for each of <paramref name="depth"/> blocks (bottom first) in 0-based
    /// <paramref name="epoch"/>. The top blocks get alpha (constant) or
    /// 1 + (alpha - 1) min(1, (epoch + 1) / E) (ramp over E epochs); the others keep 1.
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
            double target = mlp.Schedule switch {
                ConstantReweightSchedule => mlp.Alpha,
                RampReweightSchedule { Epochs: < 0 } ramp =>
                    throw new ArgumentOutOfRangeException(nameof(o), ramp.Epochs, "Ramp epochs must be >= 0."),
                // A zero-length ramp is the constant schedule.
                RampReweightSchedule ramp => 1 + (mlp.Alpha - 1) * (ramp.Epochs == 0 ? 1.0 : Math.Min(1.0, (epoch + 1) / (double)ramp.Epochs)),
                null => throw new ArgumentNullException(nameof(o), "MlpReweight needs a schedule."),
                _ => throw new NotSupportedException($"Reweight schedule type '{mlp.Schedule.GetType().Name}' is not supported."),
            };
            for (int i = depth - mlp.Top; i < depth; i++) alphas[i] = target;
            return alphas;
        default:
            throw new NotSupportedException($"Reweighting type '{o.GetType().Name}' is not supported.");
        }
    }
}
