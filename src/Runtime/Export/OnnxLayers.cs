using System;
using System.Collections.Concurrent;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Export;

/// <summary>
/// Converters for TorchSharp's own layers, which cannot implement <see cref="IOnnxExportable"/>: a
/// table keyed by the layer's type, so a layer this table lacks is one <see cref="Register{TModule}"/>
/// call away (in a user's project too), never an edit here.
/// </summary>
public static class OnnxLayers
{
    private static readonly ConcurrentDictionary<Type, Func<OnnxGraph, nn.Module, OnnxValue, OnnxValue>> Converters = new();

    static OnnxLayers()
    {
        Register<Conv2d>((g, m, x) => g.Conv2d(m, x));
        Register<BatchNorm2d>((g, m, x) => g.BatchNorm2d(m, x));
        Register<Linear>((g, m, x) => g.Linear(m, x));
        Register<LayerNorm>((g, m, x) => g.LayerNorm(m, x));
        Register<ReLU>((g, _, x) => g.Relu(x));
        Register<ReLU6>((g, _, x) => g.Clip(x, 0, 6));
        Register<Hardtanh>((g, m, x) => g.Clip(x, (float)m.min_val, (float)m.max_val));
        Register<SiLU>((g, _, x) => g.Silu(x));
        Register<Sigmoid>((g, _, x) => g.Sigmoid(x));
        Register<Hardswish>((g, _, x) => g.Hardswish(x));
        Register<GELU>((g, m, x) => m.approximate == GELU.Approximate.tanh ? g.GeluTanh(x) : g.Gelu(x));
        // Evaluation mode: dropout is the identity.
        Register<Dropout>((_, _, x) => x);
        Register<Identity>((_, _, x) => x);
        Register<Flatten>((g, m, x) => m.start_dim == 1 && m.end_dim == -1 ? g.Flatten(x)
            : throw new OnnxExportException($"module `{g.Path}`: only Flatten(1, -1) exports"));
        Register<MaxPool2d>((g, m, x) => g.MaxPool2d(x, m.kernel_size, m.stride ?? m.kernel_size, m.padding ?? new long[] { 0, 0 }, m.dilation, m.ceil_mode));
        Register<AdaptiveAvgPool2d>((g, m, x) => m.output_size.All(s => s == 1) ? g.GlobalAveragePool(x)
            : throw new OnnxExportException($"module `{g.Path}`: only AdaptiveAvgPool2d(1) exports (global average pooling)"));
    }

    /// <summary>Makes layers of type <typeparamref name="TModule"/> exportable (replacing an earlier converter).</summary>
    public static void Register<TModule>(Func<OnnxGraph, TModule, OnnxValue, OnnxValue> converter) where TModule : nn.Module
    {
        ArgumentNullException.ThrowIfNull(converter);
        Converters[typeof(TModule)] = (g, m, x) => converter(g, (TModule)m, x);
    }

    internal static Func<OnnxGraph, nn.Module, OnnxValue, OnnxValue>? Find(nn.Module module) =>
        Converters.TryGetValue(module.GetType(), out var converter) ? converter : null;
}
