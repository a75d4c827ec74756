using System;
using MiDistill.Runtime.Optim;

namespace MiDistill.Runtime.Options;

/// <summary>A learning-rate schedule: the multiplier of the base rate at each optimizer step.</summary>
[RecipeChoice("lr_schedule")]
public abstract record LrScheduleOptions : ILearningRateSchedule
{
    /// <summary>
    /// Multiplier of the base learning rate at 0-based optimizer step <paramref name="step"/> of
    /// <paramref name="totalSteps"/>, with <paramref name="stepsPerEpoch"/> steps per epoch (all checked by the caller).
    /// </summary>
    public abstract double Factor(long step, long totalSteps, long stepsPerEpoch);

    /// <summary>Linear warmup over round(epochs x stepsPerEpoch) steps; (step + 1) so the first update already moves.</summary>
    protected static long WarmupSteps(double warmupEpochs, long totalSteps, long stepsPerEpoch)
    {
        if (!(warmupEpochs >= 0))
            throw new ArgumentOutOfRangeException(nameof(warmupEpochs), warmupEpochs, "Warmup epochs must be >= 0.");
        return Math.Min(totalSteps, (long)Math.Round(warmupEpochs * stepsPerEpoch));
    }
}

[RecipeForm("constant", "The base learning rate throughout.")]
public sealed record ConstantLr : LrScheduleOptions
{
    public override double Factor(long step, long totalSteps, long stepsPerEpoch) => 1.0;
}

/// <summary>Linear warmup over <see cref="WarmupEpochs"/>, then cosine decay to <see cref="MinLrFactor"/> x the base rate.</summary>
[RecipeForm("cosine", "Linear warmup, then cosine decay to min_lr x the base rate.")]
public sealed record CosineLr(
    [RecipeArg("warmup", Doc = "warmup length in epochs (fractions allowed)", Min = 0, Max = 1000)] double WarmupEpochs = 1,
    [RecipeArg("min_lr", Doc = "final rate as a fraction of the base rate", Max = 1, Kind = RecipeArgKind.Fraction)] double MinLrFactor = 0) : LrScheduleOptions
{
    public override double Factor(long step, long totalSteps, long stepsPerEpoch)
    {
        if (!(MinLrFactor >= 0 && MinLrFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(MinLrFactor), MinLrFactor, "MinLrFactor must lie in [0, 1].");
        long warmup = WarmupSteps(WarmupEpochs, totalSteps, stepsPerEpoch);
        if (step < warmup) return (step + 1) / (double)warmup;
        double progress = Math.Min(1.0, (step - warmup) / (double)Math.Max(1, totalSteps - warmup));
        return MinLrFactor + (1 - MinLrFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}

/// <summary>
/// Linear warmup over <see cref="WarmupEpochs"/>, times Gamma^floor(epoch / EveryEpochs): the rate
/// is multiplied by <see cref="Gamma"/> every <see cref="EveryEpochs"/> epochs (counted from the first step).
/// </summary>
[RecipeForm("step", "The rate times gamma every `every` epochs (counted from the first step), after an optional linear warmup.")]
public sealed record StepLr(
    [RecipeArg("every", Doc = "epochs between decays", Min = 1, Max = 100000)] int EveryEpochs = 10,
    [RecipeArg(Doc = "factor applied at each decay", Min = 0, MinExclusive = true, Max = 1)] double Gamma = 0.1,
    [RecipeArg("warmup", Doc = "warmup length in epochs (fractions allowed)", Min = 0, Max = 1000)] double WarmupEpochs = 0) : LrScheduleOptions
{
    public override double Factor(long step, long totalSteps, long stepsPerEpoch)
    {
        if (EveryEpochs < 1)
            throw new ArgumentOutOfRangeException(nameof(EveryEpochs), EveryEpochs, "Step schedule: every must be >= 1 epoch.");
        if (!(Gamma > 0 && Gamma <= 1))
            throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "Step schedule: gamma must lie in (0, 1].");
        long warmup = WarmupSteps(WarmupEpochs, totalSteps, stepsPerEpoch);
        double decay = Math.Pow(Gamma, step / (EveryEpochs * stepsPerEpoch));
        return step < warmup ? decay * (step + 1) / warmup : decay;
    }
}

/// <summary>How a reweighting reaches its target alpha over the fine-tuning epochs.</summary>
[RecipeChoice("reweight_schedule")]
public abstract record ReweightScheduleOptions
{
    /// <summary>How far alpha has moved from 1 towards its target in 0-based <paramref name="epoch"/>: 1 = all the way.</summary>
    public abstract double Progress(int epoch);
}

[RecipeForm("constant", "alpha from the first epoch.")]
public sealed record ConstantReweightSchedule : ReweightScheduleOptions
{
    public override double Progress(int epoch) => 1.0;
}

/// <summary>alpha moves linearly from 1 to the target over the first <see cref="Epochs"/> epochs.</summary>
[RecipeForm("ramp", "alpha moves linearly from 1 to its target over the first epochs.")]
public sealed record RampReweightSchedule(
    [RecipeArg(Doc = "ramp length in epochs", Min = 1, Max = 10000)] int Epochs = 5) : ReweightScheduleOptions
{
    public override double Progress(int epoch)
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Ramp epochs must be >= 0.");
        // A zero-length ramp is the constant schedule.
        return Epochs == 0 ? 1.0 : Math.Min(1.0, (epoch + 1) / (double)Epochs);
    }
}
