namespace MiDistill.Runtime.Options;

// Where model weights come from. The students themselves are in Students.cs.

/// <summary>Where a model's initial weights come from.</summary>
public abstract record WeightsOptions;

/// <summary>Teacher: the weights the recipe's <c>pretrain</c> stage produces.</summary>
public sealed record PretrainStageWeights : WeightsOptions;

/// <summary>Student: a fresh random initialisation.</summary>
public sealed record RandomWeights : WeightsOptions;

/// <summary>
/// A state dict file (.safetensors, or a zip-format torch.save .pth/.bin) with the architecture's
/// PyTorch parameter names; <see cref="Normalize"/> is the input normalisation it was trained with.
/// </summary>
public sealed record CheckpointWeights(string Path, Normalization Normalize) : WeightsOptions;

/// <summary>Per-channel input normalisation a pretrained model expects.</summary>
public enum Normalization
{
    [RecipeName("dataset", "The data set's own per-channel statistics (declared by its source, or computed on its training split), as for models trained here.")]
    Dataset,
    [RecipeName("imagenet", "mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225): torchvision models and timm CNNs.")]
    ImageNet,
    [RecipeName("inception", "mean 0.5, std 0.5 per channel: timm's ViT checkpoints (augreg and most others).")]
    Inception,
}
