using System;

namespace MiDistill.Runtime.Optim;

/// <summary>A learning-rate schedule. The recipe's schedules (<c>Options.LrScheduleOptions</c>) are such schedules.</summary>
public interface ILearningRateSchedule
{
    /// <summary>
    /// The multiplier of the base rate at 0-based optimizer step <paramref name="step"/> of
    /// <paramref name="totalSteps"/>, with <paramref name="stepsPerEpoch"/> steps per epoch (all
    /// checked by <see cref="LrSchedule.Factor"/> before it asks).
    /// </summary>
    double Factor(long step, long totalSteps, long stepsPerEpoch);
}

public static class LrSchedule
{
    /// <summary>
    /// Multiplier of the base learning rate at optimizer step <paramref name="step"/> (0-based).
    /// Cosine: linear warmup (step+1)/W over W = round(WarmupEpochs x stepsPerEpoch) steps, then
    /// MinLrFactor + (1 - MinLrFactor)(1 + cos(pi p))/2 with p going from 0 at step W to 1 at totalSteps.
    /// Step: Gamma^floor(step / (EveryEpochs x stepsPerEpoch)), times the same linear warmup while it lasts.
    /// </summary>
    public static double Factor(ILearningRateSchedule s, long step, long totalSteps, long stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "step must be >= 0.");
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "totalSteps must be >= 1.");
        if (stepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "stepsPerEpoch must be >= 1.");

        return s.Factor(step, totalSteps, stepsPerEpoch);
    }
}
