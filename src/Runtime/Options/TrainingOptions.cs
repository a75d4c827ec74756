using System.Collections.Generic;

namespace MiDistill.Runtime.Options;

// Training-method options (issue #4): adaptive SAM, step schedules, per-block MLP reweighting, the
// DIST loss and batch augmentations. Like ExperimentOptions.cs, no defaults live here: the recipe
// schema (src/Dsl/Semantics/Schema/RecipeSchema.cs) is their single source.

/// <summary>
/// Adaptive SAM (Kwon et al. 2021): e = Rho T^2 g / ||T g||, T = diag(|w| + Eta) for weights
/// (parameters of two or more dimensions), identity for biases and norm scales (1-D parameters).
/// </summary>
public sealed record AsamObjective(double Rho, double Eta) : ObjectiveOptions;

/// <summary>
/// Linear warmup over <see cref="WarmupEpochs"/>, times Gamma^floor(epoch / EveryEpochs): the rate
/// is multiplied by <see cref="Gamma"/> every <see cref="EveryEpochs"/> epochs (counted from the first step).
/// </summary>
public sealed record StepLr(int EveryEpochs, double Gamma, double WarmupEpochs) : LrScheduleOptions;

/// <summary>One MLP-branch weight per block, bottom block first (length = the teacher's depth).</summary>
public sealed record MlpBlocksReweight(IReadOnlyList<double> Alphas, ReweightScheduleOptions Schedule) : ReweightOptions;

/// <summary>
/// DIST (Huang et al. 2022): (1 - Weight) CE(y, s) + Weight T^2 (Inter L_inter + Intra L_intra), where
/// L_inter = mean over samples of 1 - Pearson(p_s[i,:], p_t[i,:]) and L_intra = mean over classes of
/// 1 - Pearson(p_s[:,c], p_t[:,c]), p = softmax(logits / T).
/// </summary>
public sealed record DistLossOptions(double Inter, double Intra, double Temperature, double Weight) : DistillLossOptions;

/// <summary>A batch augmentation, applied in the step on the batch tensors (see <c>Augment/BatchAugmenter</c>).</summary>
public abstract record AugmentOptions;
/// <summary>Pads each image by <see cref="Padding"/> pixels (black) and crops it back to its size at a random offset.</summary>
public sealed record CropAugment(int Padding) : AugmentOptions;
/// <summary>Mirrors each image left-right with probability 1/2.</summary>
public sealed record FlipAugment : AugmentOptions;
/// <summary>
/// With probability <see cref="Probability"/> per batch: x = lam x + (1 - lam) x[perm] and the
/// label targets mixed alike, lam ~ Beta(<see cref="Alpha"/>, <see cref="Alpha"/>).
/// </summary>
public sealed record MixupAugment(double Alpha, double Probability) : AugmentOptions;
