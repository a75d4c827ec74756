using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>
/// Fits a batch of dataset images to a model's input: resizes (bilinear, antialiased when shrinking) when the model expects
/// another image size, repeats a grayscale channel for a 3-channel input, and re-normalises
/// (the data's own statistics -> <see cref="Normalize"/>) for a checkpoint trained elsewhere.
/// </summary>
public sealed record InputAdapter(int ImageSize, int Channels)
{
    /// <summary>The normalisation the model expects; batches arrive normalised with the data's statistics.</summary>
    public Normalization Normalize { get; init; } = Normalization.Dataset;

    /// <summary>What the batches were normalised with; needed only to re-normalise for a checkpoint.</summary>
    public ChannelStatistics? DataStatistics { get; init; }

    /// <summary>The teacher's input: its image size and channels, and its checkpoint's normalisation.</summary>
    public static InputAdapter ForTeacher(TeacherOptions teacher, ChannelStatistics data) =>
        new(teacher.Model.InputSize, teacher.Model.InputChannels)
        {
            Normalize = (teacher.Weights as CheckpointWeights)?.Normalize ?? Normalization.Dataset,
            DataStatistics = data,
        };

    public Tensor Apply(Tensor images)
    {
        var x = images;
        // Shrinking (a 224 teacher batch to a 32 student) filters first, as PIL and torchvision's
        // antialiased resize do; without it the student would see aliased pixels.
        if (x.shape[2] != ImageSize || x.shape[3] != ImageSize)
            x = nn.functional.interpolate(x, new long[] { ImageSize, ImageSize }, mode: InterpolationMode.Bilinear, align_corners: false,
                antialias: x.shape[2] > ImageSize || x.shape[3] > ImageSize);
        if (Normalize != Normalization.Dataset)
        {
            var data = DataStatistics ?? throw new System.InvalidOperationException("re-normalising a batch needs the statistics it was normalised with");
            // x * s_d + m_d per data channel: back to [0, 1] pixels, before channels are repeated.
            x = x.mul(Constant(data.Std, x)).add_(Constant(data.Mean, x));
        }
        if (x.shape[1] == 1 && Channels == 3)
            x = x.expand(-1, 3, -1, -1);
        if (Normalize == Normalization.Dataset) return x;
        var (mean, std) = Statistics(Normalize, (int)x.shape[1]);
        return x.sub(Constant(mean, x)).div_(Constant(std, x));
    }

    // Per-channel constants [1, C, 1, 1], made once per (values, dtype, device) and kept for the
    // process: made per call, each was a blocking host-to-device copy, four per batch on a GPU.
    // A handful of tiny tensors, owned by no dispose scope and never disposed.
    private static readonly Dictionary<(string Values, ScalarType Type, TorchSharp.DeviceType Device, int Index), Tensor> Constants = new();

    private static Tensor Constant(IReadOnlyList<float> values, Tensor like)
    {
        var key = (string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))), like.dtype, like.device.type, like.device.index);
        lock (Constants)
        {
            if (!Constants.TryGetValue(key, out var constant))
            {
                constant = tensor(values.ToArray(), dtype: like.dtype, device: like.device).reshape(1, -1, 1, 1).DetachFromDisposeScope();
                Constants[key] = constant;
            }
            return constant;
        }
    }

    internal static (float[] Mean, float[] Std) Statistics(Normalization n, int channels)
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
