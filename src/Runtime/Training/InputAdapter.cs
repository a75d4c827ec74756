using MiDistill.Runtime.Options;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>
/// Fits a batch of dataset images to a model's input: resizes (bilinear) when the model expects
/// another image size, repeats a grayscale channel for a 3-channel input, and re-normalises
/// (dataset statistics -> <see cref="Normalize"/>) for a checkpoint trained elsewhere.
/// </summary>
public sealed record InputAdapter(int ImageSize, int Channels)
{
    /// <summary>Fashion-MNIST's pixel mean and standard deviation (of x/255 over the training split).</summary>
    public const float FashionMnistMean = 0.2860f;
    public const float FashionMnistStd = 0.3530f;

    /// <summary>The normalisation the model expects; batches arrive normalised with the dataset's statistics.</summary>
    public Normalization Normalize { get; init; } = Normalization.Dataset;

    /// <summary>The teacher's input: its image size and channels, and its checkpoint's normalisation.</summary>
    public static InputAdapter ForTeacher(TeacherOptions teacher) =>
        new(teacher.Model.ImageSize, teacher.Model.InChannels) { Normalize = (teacher.Weights as CheckpointWeights)?.Normalize ?? Normalization.Dataset };

    public Tensor Apply(Tensor images)
    {
        var x = images;
        if (x.shape[2] != ImageSize || x.shape[3] != ImageSize)
            x = nn.functional.interpolate(x, new long[] { ImageSize, ImageSize }, mode: InterpolationMode.Bilinear, align_corners: false);
        if (x.shape[1] == 1 && Channels == 3)
            x = x.expand(-1, 3, -1, -1);
        if (Normalize == Normalization.Dataset) return x;
        var (mean, std) = Statistics(Normalize, (int)x.shape[1]);
        // (x * s_d + m_d - m) / std: back to [0, 1] pixels, then the checkpoint's statistics.
        using var scale = tensor(std, dtype: x.dtype, device: x.device).reshape(1, -1, 1, 1);
        using var shift = tensor(mean, dtype: x.dtype, device: x.device).reshape(1, -1, 1, 1);
        var pixels = x.mul(FashionMnistStd).add_(FashionMnistMean);
        return pixels.sub_(shift).div_(scale);
    }

    private static (float[] Mean, float[] Std) Statistics(Normalization n, int channels)
    {
        var (mean, std) = n switch
        {
            Normalization.ImageNet => (new[] { 0.485f, 0.456f, 0.406f }, new[] { 0.229f, 0.224f, 0.225f }),
            Normalization.Inception => (new[] { 0.5f, 0.5f, 0.5f }, new[] { 0.5f, 0.5f, 0.5f }),
            _ => throw new System.ArgumentOutOfRangeException(nameof(n), n, "no statistics for this normalisation"),
        };
        if (channels == 3) return (mean, std);
        // A single-channel model: the channel average, as timm folds an RGB stem into one channel.
        return (new[] { (mean[0] + mean[1] + mean[2]) / 3 }, new[] { (std[0] + std[1] + std[2]) / 3 });
    }
}
