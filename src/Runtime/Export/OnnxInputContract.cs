using System;
using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Runtime.Export;

/// <summary>
/// What an exported model takes, so a deployer needs none of our statistics: pixels in [0, 1],
/// [batch, <see cref="Channels"/>, <see cref="ImageSize"/>, <see cref="ImageSize"/>]. The graph
/// repeats a grayscale channel when the model takes <see cref="ModelChannels"/> = 3, then
/// normalises each model channel with <see cref="Mean"/> and <see cref="Std"/>, as training did.
/// </summary>
public sealed record OnnxInputContract
{
    public OnnxInputContract(int channels, int imageSize, int modelChannels, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (channels < 1 || imageSize < 1) throw new ArgumentException($"an input needs channels and a size, got {channels} and {imageSize}");
        if (modelChannels != channels && !(channels == 1 && modelChannels == 3))
            throw new ArgumentException($"a model of {modelChannels} channels cannot take {channels}-channel pixels (only grayscale is repeated to 3)");
        if (mean.Count != modelChannels || std.Count != modelChannels)
            throw new ArgumentException($"normalising {modelChannels} channels needs {modelChannels} means and stds, got {mean.Count} and {std.Count}");
        Channels = channels;
        ImageSize = imageSize;
        ModelChannels = modelChannels;
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    /// <summary>Channels of the pixels given (1: grayscale, 3: RGB).</summary>
    public int Channels { get; }
    /// <summary>Height and width of the pixels given: the model's input size.</summary>
    public int ImageSize { get; }
    /// <summary>Channels the model's first layer takes.</summary>
    public int ModelChannels { get; }
    public IReadOnlyList<float> Mean { get; }
    public IReadOnlyList<float> Std { get; }

    /// <summary>Emits the contract's preprocessing: pixels -> the model's input.</summary>
    internal OnnxValue Emit(OnnxGraph graph, OnnxValue pixels)
    {
        var x = pixels;
        if (ModelChannels != Channels)
            x = graph.Node("Concat", Enumerable.Repeat(pixels, ModelChannels).ToArray(), OnnxAttribute.Int("axis", 1));
        long[] perChannel = { 1, ModelChannels, 1, 1 };
        var mean = graph.Within("input", () => graph.Initializer("mean", Mean.ToArray(), perChannel));
        var std = graph.Within("input", () => graph.Initializer("std", Std.ToArray(), perChannel));
        return graph.Node("Div", new[] { graph.Node("Sub", new[] { x, mean }), std });
    }
}
