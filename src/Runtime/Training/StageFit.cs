using System;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>One way to build a fit of any training stage from what the stages share (<see cref="ITrainingStageOptions"/>).</summary>
public static class StageFit
{
    /// <summary>The stage's optimizer over <paramref name="model"/>, with its decay exclusions.</summary>
    public static optim.Optimizer Optimizer(ITrainingStageOptions stage, nn.Module model) =>
        OptimizerFactory.Create(stage.Optimizer, model, stage.DecayExclusions);

    /// <summary>
    /// A fit of <paramref name="model"/> on <paramref name="train"/> with the stage's optimizer settings,
    /// schedule, epochs, batch size and clipping; the caller adds what only its stage has
    /// (validation, reweighting, snapshots) with <c>with</c>.
    /// </summary>
    public static FitSpec Of(ITrainingStageOptions stage, string name, string variant, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer,
        ImageSet train, int seed, int runSeed, Func<Tensor, Tensor, (Tensor Loss, Tensor Logits)> loss, Augment.BatchAugmenter? augment = null) => new()
        {
            Stage = name,
            Variant = variant,
            Model = model,
            Optimizer = optimizer,
            BaseLearningRate = stage.Optimizer.BaseLearningRate,
            Schedule = stage.Schedule,
            Train = train,
            Epochs = stage.Epochs,
            BatchSize = stage.BatchSize,
            Seed = seed,
            RunSeed = runSeed,
            ClipGrad = stage.ClipGrad,
            Augment = augment,
            Loss = loss,
        };
}
