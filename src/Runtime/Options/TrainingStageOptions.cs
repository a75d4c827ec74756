using System.Collections.Generic;

namespace MiDistill.Runtime.Options;

/// <summary>
/// What pretraining, fine-tuning and distillation have in common: each trains a model with an
/// optimizer and schedule for some epochs in batches, with optional clipping, decay exclusions and
/// batch augmentation. The three section records keep their own shapes (settings.json and the
/// recipe language name them as they are), and the trainer builds every fit from this one view
/// (<see cref="Training.StageFit"/>).
/// </summary>
public interface ITrainingStageOptions
{
    OptimizerOptions Optimizer { get; }
    LrScheduleOptions Schedule { get; }
    int Epochs { get; }
    int BatchSize { get; }
    /// <summary>Clip the gradient's global L2 norm to this value (0 = off).</summary>
    double ClipGrad { get; }
    /// <summary>Weight decay 0 for 1-D parameters (norms, biases) and position embeddings / tokens.</summary>
    bool DecayExclusions { get; }
    /// <summary>Batch augmentations in order (empty = none).</summary>
    IReadOnlyList<AugmentOptions> Augment { get; }
}
