using System;
using MiDistill.Runtime.Augment;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Options;

/// <summary>
/// A batch augmentation, applied in the step on the batch tensors in the order the recipe lists
/// (see <see cref="BatchAugmenter"/>). Every random decision must come from the context's
/// <see cref="AugmentContext.Random"/>, so a step is augmented the same way after a resume.
/// </summary>
[RecipeChoice("augmentation")]
public abstract record AugmentOptions : IBatchAugmentation
{
    // Not a property of the record: settings.json and the record's text stay its recipe arguments.
    HostStep? IBatchAugmentation.Host => HostPart();

    /// <summary>What the decoding workers may do of this step per image (only the runtime's own steps).</summary>
    internal virtual HostStep? HostPart() => null;

    /// <summary>Throws when the settings cannot work; called once, before training starts.</summary>
    public virtual void Validate() { }

    /// <summary>
    /// Augments normalised images [B, C, H, W] with targets (class indices [B], or class
    /// probabilities [B, K] once a batch is mixed). Tensors belong to the caller's dispose scope.
    /// </summary>
    public abstract (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor targets, AugmentContext context);
}

/// <summary>Pads each image by <see cref="Padding"/> pixels (black) and crops it back to its size at a random offset.</summary>
[RecipeForm("crop", "Pad each image with black and crop it back to its size at a random offset.")]
public sealed record CropAugment(
    [RecipeArg(Doc = "pixels of padding on every side", Min = 0, Max = 256)] int Padding = 4) : AugmentOptions
{
    public override void Validate()
    {
        if (Padding < 0) throw new ArgumentOutOfRangeException(nameof(Padding), Padding, "Crop padding must be >= 0.");
    }

    public override (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor targets, AugmentContext context) =>
        (Padding > 0 ? BatchAugmenter.Crop(images, Padding, context.Random, context.BlackPixel) : images, targets);
}

/// <summary>Mirrors each image left-right with probability 1/2.</summary>
[RecipeForm("flip", "Mirror each image left-right with probability 1/2.")]
public sealed record FlipAugment : AugmentOptions
{
    public override (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor targets, AugmentContext context) =>
        (BatchAugmenter.Flip(images, context.Random), targets);

    internal override HostStep? HostPart() => new HostFlip();
}

/// <summary>
/// With probability <see cref="Probability"/> per batch: x = lam x + (1 - lam) x[perm] and the
/// label targets mixed alike, lam ~ Beta(<see cref="Alpha"/>, <see cref="Alpha"/>).
/// </summary>
[RecipeForm("mixup", "With probability `prob` per batch, blend the batch with a shuffled copy of itself: x = lam x + (1 - lam) x[perm], labels alike, lam ~ Beta(alpha, alpha).")]
public sealed record MixupAugment(
    [RecipeArg(Doc = "Beta distribution parameter", Min = 0, MinExclusive = true)] double Alpha = 1,
    [RecipeArg("prob", Doc = "probability that a batch is mixed", Min = 0, Max = 1)] double Probability = 1) : AugmentOptions
{
    public override void Validate()
    {
        if (!(Alpha > 0) || double.IsInfinity(Alpha) || !(Probability >= 0 && Probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(Alpha), $"Mixup needs alpha > 0 and a probability in [0, 1], got alpha {Alpha}, probability {Probability}.");
    }

    public override (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor targets, AugmentContext context)
    {
        // The probability draw comes first, so the stream stays aligned whether or not this batch mixes.
        if (!(context.Random.NextDouble() < Probability)) return (images, targets);
        var random = context.Random;
        return BatchAugmenter.Mixup(images, targets, context.NumClasses, BatchAugmenter.SampleBeta(random, Alpha), BatchAugmenter.Permutation(random, (int)images.shape[0]));
    }
}

/// <summary>
/// torchvision's RandomResizedCrop on the batch: per image a window of a random share of the area
/// (<see cref="ScaleMin"/>..<see cref="ScaleMax"/>) and aspect ratio (log-uniform in
/// <see cref="RatioMin"/>..<see cref="RatioMax"/>) is cut out and resized to <see cref="Size"/>
/// (the teacher's resolution, say) with <see cref="Interpolation"/>.
/// </summary>
[RecipeForm("random_resized_crop", "Cut a window of random area share and aspect ratio out of each image and resize it to `size` (torchvision's RandomResizedCrop; 10 tries, then the centre crop).")]
public sealed record RandomResizedCropAugment(
    [RecipeArg(Doc = "side of the output images (0 = the batch's own size)", Min = 0, Max = 1024)] int Size = 0,
    [RecipeArg(Doc = "smallest share of the image's area the window covers", Min = 0, MinExclusive = true, Max = 1)] double ScaleMin = 0.08,
    [RecipeArg(Doc = "largest share of the image's area the window covers", Min = 0, MinExclusive = true, Max = 1)] double ScaleMax = 1,
    [RecipeArg(Doc = "smallest aspect ratio (width / height) of the window", Min = 0, MinExclusive = true, Max = 100)] double RatioMin = 0.75,
    [RecipeArg(Doc = "largest aspect ratio (width / height) of the window", Min = 0, MinExclusive = true, Max = 100)] double RatioMax = 4.0 / 3,
    [RecipeArg(Doc = "interpolation of the resize")] Interpolation Interpolation = Interpolation.Bilinear) : AugmentOptions
{
    public override void Validate()
    {
        if (Size < 0) throw new ArgumentOutOfRangeException(nameof(Size), Size, "random_resized_crop size must be 0 (the batch's size) or positive.");
        if (!(ScaleMin > 0 && ScaleMin <= ScaleMax && ScaleMax <= 1))
            throw new ArgumentOutOfRangeException(nameof(ScaleMin), $"random_resized_crop needs 0 < scale_min <= scale_max <= 1, got {ScaleMin} and {ScaleMax}.");
        if (!(RatioMin > 0 && RatioMin <= RatioMax && double.IsFinite(RatioMax)))
            throw new ArgumentOutOfRangeException(nameof(RatioMin), $"random_resized_crop needs 0 < ratio_min <= ratio_max, got {RatioMin} and {RatioMax}.");
    }

    public override (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor targets, AugmentContext context)
    {
        int height = (int)images.shape[2], width = (int)images.shape[3];
        var boxes = new (int Top, int Left, int Height, int Width)[images.shape[0]];
        for (int i = 0; i < boxes.Length; i++)
            boxes[i] = BatchAugmenter.ResizedCropBox(context.Random, height, width, ScaleMin, ScaleMax, RatioMin, RatioMax);
        return (BatchAugmenter.CropAndResize(images, boxes, Size > 0 ? Size : height, Size > 0 ? Size : width, Interpolation.Mode()), targets);
    }

    // The workers sample bilinearly only; a bicubic crop stays on the tensor path.
    internal override HostStep? HostPart() =>
        Interpolation == Interpolation.Bilinear ? new HostResizedCrop(Size, ScaleMin, ScaleMax, RatioMin, RatioMax) : null;
}
