using System;
using MiDistill.Runtime.Options;

namespace MiDistill.Runtime.Optim;

public static class LrSchedule
{
    /// <summary>
    /// Multiplier of the base learning rate at optimizer step <paramref name="step"/> (0-based).
    /// Cosine: linear warmup (step+1)/W over W = round(WarmupEpochs x stepsPerEpoch) steps, then
    /// MinLrFactor + (1 - MinLrFactor)(1 + cos(pi p))/2 with p going from 0 at step W to 1 at totalSteps.
    /// Step: Gamma^floor(step / (EveryEpochs x stepsPerEpoch)), times the same linear warmup while it lasts.
    /// </summary>
    public static double Factor(LrScheduleOptions s, long step, long totalSteps, long stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "step must be >= 0.");
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "totalSteps must be >= 1.");
        if (stepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "stepsPerEpoch must be >= 1.");

        switch (s) {
        case ConstantLr:
            return 1.0;
        case CosineLr cosine:
            if (!(cosine.WarmupEpochs >= 0))
                throw new ArgumentOutOfRangeException(nameof(s), cosine.WarmupEpochs, "Warmup epochs must be >= 0.");
            if (!(cosine.MinLrFactor >= 0 && cosine.MinLrFactor <= 1))
                throw new ArgumentOutOfRangeException(nameof(s), cosine.MinLrFactor, "MinLrFactor must lie in [0, 1].");
            long warmup = Math.Min(totalSteps, (long)Math.Round(cosine.WarmupEpochs * stepsPerEpoch));
            // (step + 1) rather than step: the first update already moves, and the last warmup step reaches 1.
            if (step < warmup) return (step + 1) / (double)warmup;
            double progress = Math.Min(1.0, (step - warmup) / (double)Math.Max(1, totalSteps - warmup));
            return cosine.MinLrFactor + (1 - cosine.MinLrFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
        case StepLr stepLr:
            if (stepLr.EveryEpochs < 1)
                throw new ArgumentOutOfRangeException(nameof(s), stepLr.EveryEpochs, "Step schedule: every must be >= 1 epoch.");
            if (!(stepLr.Gamma > 0 && stepLr.Gamma <= 1))
                throw new ArgumentOutOfRangeException(nameof(s), stepLr.Gamma, "Step schedule: gamma must lie in (0, 1].");
            if (!(stepLr.WarmupEpochs >= 0))
                throw new ArgumentOutOfRangeException(nameof(s), stepLr.WarmupEpochs, "Warmup epochs must be >= 0.");
            long stepWarmup = Math.Min(totalSteps, (long)Math.Round(stepLr.WarmupEpochs * stepsPerEpoch));
            double decay = Math.Pow(stepLr.Gamma, step / (stepLr.EveryEpochs * stepsPerEpoch));
            return step < stepWarmup ? decay * (step + 1) / stepWarmup : decay;
        default:
            throw new NotSupportedException($"LR schedule type '{s.GetType().Name}' is not supported.");
        }
    }
}
