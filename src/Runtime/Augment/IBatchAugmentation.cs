using System;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Augment;

/// <summary>
/// One step of a <see cref="BatchAugmenter"/>: augments a batch on its tensors. Every random
/// decision must come from the context's <see cref="AugmentContext.Random"/>, so a step is
/// augmented the same way after a resume. The recipe's augmentations (<c>Options.AugmentOptions</c>)
/// are such steps.
/// </summary>
public interface IBatchAugmentation
{
    /// <summary>Throws when the settings cannot work; called once, before training starts.</summary>
    void Validate();

    /// <summary>
    /// Augments normalised images [B, C, H, W] with targets (class indices [B], or class
    /// probabilities [B, K] once a batch is mixed). Tensors belong to the caller's dispose scope.
    /// </summary>
    (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor targets, AugmentContext context);

    /// <summary>
    /// What a <see cref="Data.BatchStream"/>'s workers may do of this step per image as they decode
    /// it, drawing what <see cref="Apply"/> draws (null: only the tensor path does it).
    /// </summary>
    HostStep? Host => null;
}

/// <summary>A step the decoding workers know how to do per image (see <see cref="HostCrop"/>).</summary>
public abstract record HostStep;

/// <summary>A bilinear random-resized crop to <paramref name="Size"/> (0 = the image's own size), drawn as <see cref="BatchAugmenter.ResizedCropBox"/> draws it.</summary>
public sealed record HostResizedCrop(int Size, double ScaleMin, double ScaleMax, double RatioMin, double RatioMax) : HostStep;

/// <summary>A left-right flip with one coin per image.</summary>
public sealed record HostFlip : HostStep;

/// <summary>What an augmentation may use besides the batch: the step's random stream, the class count, what black is after normalisation.</summary>
public sealed class AugmentContext
{
    internal AugmentContext(Random random, int numClasses, float[] blackPixel)
    {
        Random = random;
        NumClasses = numClasses;
        BlackPixel = blackPixel;
    }

    public Random Random { get; }
    public int NumClasses { get; }
    /// <summary>A black pixel in the batch's normalisation, per channel (one value for every channel when the data has fewer).</summary>
    public float[] BlackPixel { get; }
}
