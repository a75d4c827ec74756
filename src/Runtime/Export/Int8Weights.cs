using System;
using System.Linq;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Export;

/// <summary>
/// Symmetric per-channel int8 quantisation of a weight: scale_c = max |w_c| / 127 (1 for an all-zero
/// channel), q = round(w / scale_c) in [-127, 127], so that DequantizeLinear's q * scale_c restores it
/// to within half a step.
/// </summary>
public static class Int8Weights
{
    public static (sbyte[] Values, float[] Scales) Quantize(Tensor weight, int channelAxis)
    {
        ArgumentNullException.ThrowIfNull(weight);
        using var scope = NewDisposeScope();
        var w = weight.detach().to(ScalarType.Float32).cpu().movedim(new long[] { channelAxis }, new long[] { 0 }).contiguous();
        long channels = w.shape[0];
        var flat = w.reshape(channels, -1);
        var scales = flat.abs().amax(new long[] { 1 }).div(127f);
        scales = where(scales.gt(0), scales, ones_like(scales));
        var q = flat.div(scales.unsqueeze(1)).round().clamp(-127, 127).reshape(w.shape).movedim(new long[] { 0 }, new long[] { channelAxis }).contiguous();
        var values = q.to(ScalarType.Int8).data<sbyte>().ToArray();
        return (values, scales.data<float>().ToArray());
    }
}
