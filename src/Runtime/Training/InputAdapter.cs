using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>
/// Fits a batch of dataset images to a model's input: resizes (bilinear) when the model expects
/// another image size, and repeats a grayscale channel for a 3-channel patch embedding.
/// </summary>
public sealed record InputAdapter(int ImageSize, int Channels)
{
    /// <summary>Fashion-MNIST's pixel mean and standard deviation (of x/255 over the training split).</summary>
    public const float FashionMnistMean = 0.2860f;
    public const float FashionMnistStd = 0.3530f;

    public Tensor Apply(Tensor images)
    {
        var x = images;
        if (x.shape[2] != ImageSize || x.shape[3] != ImageSize)
            x = nn.functional.interpolate(x, new long[] { ImageSize, ImageSize }, mode: InterpolationMode.Bilinear, align_corners: false);
        if (x.shape[1] == 1 && Channels == 3)
            x = x.expand(-1, 3, -1, -1);
        return x;
    }
}
