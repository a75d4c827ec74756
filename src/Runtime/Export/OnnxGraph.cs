using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Export;

/// <summary>A value (a tensor) of an ONNX graph under construction, by its name in the graph.</summary>
public readonly record struct OnnxValue(string Name)
{
    public override string ToString() => Name;
}

/// <summary>
/// An ONNX graph as a module's evaluation-mode forward is written into it (TorchSharp has no tracer).
/// A module implements <see cref="IOnnxExportable"/> and emits its nodes with the building blocks
/// here; <see cref="Call"/> exports a submodule (its own <see cref="IOnnxExportable"/>, a
/// <see cref="Sequential"/>, or a TorchSharp layer that has a converter; see
/// <see cref="OnnxLayers"/>), naming initialisers after the module path as a state dict does.
/// Opset <see cref="Opset"/>, so that every ONNX Runtime since 1.12 and the ONNX 1.12 checker read it.
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>The default-domain opset the graph is written for (LayerNormalization appeared in 17).</summary>
    public const int Opset = 17;

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<string> _scope = new();
    private readonly Dictionary<string, OnnxValue> _constants = new(StringComparer.Ordinal);

    internal GraphProto Proto { get; } = new() { Name = "midistill" };

    /// <summary>
    /// Convolution and linear weights as int8 with one float scale per output channel (symmetric,
    /// zero point 0) and a DequantizeLinear node: weight-only QDQ, a quarter of the size.
    /// </summary>
    public bool QuantizeWeights { get; init; }

    /// <summary>The module path being exported ("features.3"): where a failure happened.</summary>
    public string Path => string.Join(".", _scope);

    // ---- values -------------------------------------------------------------------------------

    /// <summary>A float graph input [batch, channels, height, width] with a dynamic batch axis.</summary>
    public OnnxValue Input(string name, long channels, long height, long width)
    {
        Proto.Input.Add(ValueInfo(Claim(name), new object[] { "batch", channels, height, width }));
        return new OnnxValue(name);
    }

    /// <summary>Makes <paramref name="value"/> the graph output <paramref name="name"/> [batch, <paramref name="width"/>].</summary>
    public void Output(OnnxValue value, string name, long width)
    {
        Proto.Node.Add(NewNode("Identity", new[] { value }, new[] { Claim(name) }));
        Proto.Output.Add(ValueInfo(name, new object[] { "batch", width }));
    }

    /// <summary>A float initialiser holding a copy of <paramref name="tensor"/> (any device, any float type).</summary>
    public OnnxValue Initializer(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().to(ScalarType.Float32).cpu().contiguous();
        return Initializer(name, cpu.data<float>().ToArray(), cpu.shape);
    }

    /// <summary>A float initialiser of <paramref name="shape"/>.</summary>
    public OnnxValue Initializer(string name, float[] values, long[] shape) => FloatInitializer(Scoped(name), values, shape);

    private OnnxValue FloatInitializer(string fullName, float[] values, long[] shape)
    {
        var proto = new TensorProto { Name = Claim(fullName), DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(shape);
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        Proto.Initializer.Add(proto);
        return new OnnxValue(proto.Name);
    }

    /// <summary>A float scalar constant (shared by every use of the same value).</summary>
    public OnnxValue Scalar(float value) =>
        Constant("const_f_" + value.ToString("R", CultureInfo.InvariantCulture), () => FloatInitializer("c", new[] { value }, Array.Empty<long>()));

    /// <summary>A 1-D int64 constant (shapes, axes, indices); <paramref name="scalar"/> makes a 0-D one of one value.</summary>
    public OnnxValue Int64s(long[] values, bool scalar = false) =>
        Constant($"const_i{(scalar ? "s" : "")}_" + string.Join("_", values), () =>
        {
            var proto = new TensorProto { Name = Claim("c"), DataType = (int)TensorProto.Types.DataType.Int64 };
            if (!scalar) proto.Dims.Add(values.Length);
            proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
            Proto.Initializer.Add(proto);
            return new OnnxValue(proto.Name);
        });

    // ---- nodes --------------------------------------------------------------------------------

    /// <summary>One node of the default domain with one output.</summary>
    public OnnxValue Node(string opType, IReadOnlyList<OnnxValue> inputs, params OnnxAttribute[] attributes)
    {
        var output = Claim(Scoped(opType.ToLowerInvariant()));
        var node = NewNode(opType, inputs, new[] { output });
        foreach (var attribute in attributes) node.Attribute.Add(attribute.Proto);
        Proto.Node.Add(node);
        return new OnnxValue(output);
    }

    /// <summary>
    /// Exports <paramref name="module"/> as a submodule named <paramref name="name"/> (its state-dict
    /// prefix): its own <see cref="IOnnxExportable"/>, each child of a <see cref="Sequential"/> in
    /// order, or a registered converter (<see cref="OnnxLayers.Register{TModule}"/>).
    /// </summary>
    public OnnxValue Call(nn.Module module, OnnxValue x, string name)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Within(name, () => Export(module, x));
    }

    /// <summary>Emits <paramref name="emit"/> under the module path <paramref name="name"/> (a submodule written by hand).</summary>
    public OnnxValue Within(string name, Func<OnnxValue> emit)
    {
        ArgumentNullException.ThrowIfNull(emit);
        _scope.Add(name);
        try
        {
            return emit();
        }
        finally
        {
            _scope.RemoveAt(_scope.Count - 1);
        }
    }

    internal OnnxValue Export(nn.Module module, OnnxValue x)
    {
        if (module is IOnnxExportable exportable) return exportable.ExportOnnx(this, x);
        if (module is Sequential sequential)
        {
            foreach (var (childName, child) in sequential.named_children()) x = Call(child, x, childName);
            return x;
        }
        if (OnnxLayers.Find(module) is { } converter) return converter(this, module, x);
        throw new OnnxExportException(NotExportable(module, Path));
    }

    internal static string NotExportable(nn.Module module, string path)
    {
        var type = module.GetType();
        var where = path.Length == 0 ? "the model" : $"module `{path}`";
        return $"{where} ({type.FullName}) cannot be exported to ONNX: implement {typeof(IOnnxExportable).FullName} on {type.Name} "
            + "(write its evaluation-mode forward with OnnxGraph's building blocks: Call for submodules, Conv2d, BatchNorm2d, Linear, "
            + "activations, pooling, Add, LayerNorm, Attention), or register a converter for the layer with "
            + $"{typeof(OnnxLayers).FullName}.Register<{type.Name}>(...); see docs/deploy.md";
    }

    // ---- building blocks ----------------------------------------------------------------------

    public OnnxValue Conv2d(Conv2d conv, OnnxValue x)
    {
        if (conv.padding is not { } padding || conv.padding_mode != PaddingModes.Zeros)
            throw new OnnxExportException($"module `{Path}`: only explicit zero padding of a Conv2d exports (found {conv.padding_type?.ToString() ?? conv.padding_mode.ToString()})");
        var inputs = new List<OnnxValue> { x, Weight("weight", conv.weight!, channelAxis: 0) };
        if (conv.bias is { } bias) inputs.Add(Initializer("bias", bias));
        return Node("Conv", inputs,
            OnnxAttribute.Ints("kernel_shape", conv.kernel_size),
            OnnxAttribute.Ints("strides", conv.stride),
            OnnxAttribute.Ints("pads", padding[0], padding[1], padding[0], padding[1]),
            OnnxAttribute.Ints("dilations", conv.dilation),
            OnnxAttribute.Int("group", conv.groups));
    }

    /// <summary>Evaluation-mode batch normalisation: the running statistics.</summary>
    public OnnxValue BatchNorm2d(BatchNorm2d bn, OnnxValue x)
    {
        if (bn.running_mean is not { } mean || bn.running_var is not { } variance)
            throw new OnnxExportException($"module `{Path}`: a BatchNorm2d without running statistics has no evaluation-mode form to export");
        long c = bn.num_features;
        var scale = bn.weight is { } w ? Initializer("weight", w) : Initializer("weight", Enumerable.Repeat(1f, (int)c).ToArray(), new[] { c });
        var shift = bn.bias is { } b ? Initializer("bias", b) : Initializer("bias", new float[c], new[] { c });
        return Node("BatchNormalization", new[] { x, scale, shift, Initializer("running_mean", mean), Initializer("running_var", variance) },
            OnnxAttribute.Float("epsilon", bn.eps));
    }

    /// <summary>y = (x W^T + b) * <paramref name="scale"/> over the last axis (any rank); the scale is folded into W and b.</summary>
    public OnnxValue Linear(Linear linear, OnnxValue x, double scale = 1)
    {
        using var _ = no_grad();
        using var weight = linear.weight!.detach().t().mul(scale);
        var y = Node("MatMul", new[] { x, Weight("weight", weight, channelAxis: 1) });
        if (linear.bias is null) return y;
        using var bias = linear.bias.detach().mul(scale);
        return Node("Add", new[] { y, Initializer("bias", bias) });
    }

    /// <summary>LayerNormalization over the trailing <c>normalized_shape</c> axes.</summary>
    public OnnxValue LayerNorm(LayerNorm norm, OnnxValue x)
    {
        long width = norm.normalized_shape.Aggregate(1L, (a, b) => a * b);
        var scale = norm.weight is { } w ? Initializer("weight", w) : Initializer("weight", Enumerable.Repeat(1f, (int)width).ToArray(), norm.normalized_shape);
        var inputs = new List<OnnxValue> { x, scale };
        if (norm.bias is { } b) inputs.Add(Initializer("bias", b));
        return Node("LayerNormalization", inputs,
            OnnxAttribute.Int("axis", -norm.normalized_shape.Length),
            OnnxAttribute.Float("epsilon", norm.eps));
    }

    /// <summary>
    /// Multi-head self-attention on [batch, tokens, dim] with a fused <paramref name="qkv"/> projection
    /// (timm's layout: q, k, v in that order, heads inside each) and an output projection.
    /// </summary>
    public OnnxValue Attention(Linear qkv, Linear proj, int heads, OnnxValue x)
    {
        long dim = proj.weight!.shape[0];
        long headDim = dim / heads;
        var packed = Within("qkv", () => Linear(qkv, x));
        var split = Node("Reshape", new[] { packed, Int64s(new long[] { 0, 0, 3, heads, headDim }) });
        var parts = Node("Transpose", new[] { split }, OnnxAttribute.Ints("perm", 2, 0, 3, 1, 4));
        OnnxValue Part(int i) => Node("Gather", new[] { parts, Int64s(new long[] { i }, scalar: true) }, OnnxAttribute.Int("axis", 0));
        var (q, k, v) = (Part(0), Part(1), Part(2));
        var kT = Node("Transpose", new[] { k }, OnnxAttribute.Ints("perm", 0, 1, 3, 2));
        var scores = Mul(Node("MatMul", new[] { q, kT }), Scalar((float)(1 / Math.Sqrt(headDim))));
        var weights = Node("Softmax", new[] { scores }, OnnxAttribute.Int("axis", -1));
        var attended = Node("MatMul", new[] { weights, v });
        var merged = Node("Reshape", new[] { Node("Transpose", new[] { attended }, OnnxAttribute.Ints("perm", 0, 2, 1, 3)), Int64s(new long[] { 0, 0, dim }) });
        return Within("proj", () => Linear(proj, merged));
    }

    public OnnxValue Relu(OnnxValue x) => Node("Relu", new[] { x });

    public OnnxValue Clip(OnnxValue x, float min, float max) => Node("Clip", new[] { x, Scalar(min), Scalar(max) });

    public OnnxValue Sigmoid(OnnxValue x) => Node("Sigmoid", new[] { x });

    /// <summary>x * sigmoid(x) (SiLU, swish).</summary>
    public OnnxValue Silu(OnnxValue x) => Mul(x, Sigmoid(x));

    /// <summary>Exact GELU, 0.5 x (1 + erf(x / sqrt 2)) (the Gelu operator needs opset 20).</summary>
    public OnnxValue Gelu(OnnxValue x)
    {
        var erf = Node("Erf", new[] { Node("Div", new[] { x, Scalar((float)Math.Sqrt(2)) }) });
        return Mul(Mul(x, Node("Add", new[] { erf, Scalar(1f) })), Scalar(0.5f));
    }

    /// <summary>tanh-approximated GELU, as PyTorch's <c>approximate='tanh'</c>.</summary>
    public OnnxValue GeluTanh(OnnxValue x)
    {
        var cube = Mul(Mul(x, x), x);
        var inner = Mul(Node("Add", new[] { x, Mul(cube, Scalar(0.044715f)) }), Scalar((float)Math.Sqrt(2 / Math.PI)));
        return Mul(Mul(x, Node("Add", new[] { Node("Tanh", new[] { inner }), Scalar(1f) })), Scalar(0.5f));
    }

    public OnnxValue Hardswish(OnnxValue x) => Node("HardSwish", new[] { x });

    public OnnxValue Add(OnnxValue a, OnnxValue b) => Node("Add", new[] { a, b });

    public OnnxValue Mul(OnnxValue a, OnnxValue b) => Node("Mul", new[] { a, b });

    /// <summary>x * <paramref name="factor"/>; nothing at all for 1, which is exact in the module too.</summary>
    public OnnxValue Scale(OnnxValue x, double factor) => factor == 1 ? x : Mul(x, Scalar((float)factor));

    public OnnxValue MaxPool2d(OnnxValue x, long[] kernel, long[] stride, long[] padding, long[]? dilation = null, bool ceilMode = false) =>
        Node("MaxPool", new[] { x },
            OnnxAttribute.Ints("kernel_shape", kernel),
            OnnxAttribute.Ints("strides", stride),
            OnnxAttribute.Ints("pads", padding[0], padding[1], padding[0], padding[1]),
            OnnxAttribute.Ints("dilations", dilation ?? new long[] { 1, 1 }),
            OnnxAttribute.Int("ceil_mode", ceilMode ? 1 : 0));

    /// <summary>Mean over height and width, keeping them as 1x1 ([N, C, 1, 1]).</summary>
    public OnnxValue GlobalAveragePool(OnnxValue x) => Node("GlobalAveragePool", new[] { x });

    /// <summary>[N, ...] to [N, rest] (<c>flatten(1)</c>).</summary>
    public OnnxValue Flatten(OnnxValue x) => Node("Flatten", new[] { x }, OnnxAttribute.Int("axis", 1));

    /// <summary>timm's squeeze-excitation gate: x * sigmoid(expand(act(reduce(mean_hw x)))), 1x1 convolutions with biases.</summary>
    public OnnxValue SqueezeExcite(Conv2d reduce, Conv2d expand, Func<OnnxValue, OnnxValue> activation, OnnxValue x)
    {
        var s = Node("ReduceMean", new[] { x }, OnnxAttribute.Ints("axes", 2, 3), OnnxAttribute.Int("keepdims", 1));
        s = activation(Call(reduce, s, "conv_reduce"));
        s = Call(expand, s, "conv_expand");
        return Mul(x, Sigmoid(s));
    }

    // ---- internals ----------------------------------------------------------------------------

    /// <summary>A weight initialiser, or with <see cref="QuantizeWeights"/> its int8 form dequantised per <paramref name="channelAxis"/>.</summary>
    private OnnxValue Weight(string name, Tensor weight, int channelAxis)
    {
        if (!QuantizeWeights) return Initializer(name, weight);
        var (quantized, scales) = Int8Weights.Quantize(weight, channelAxis);
        var q = new TensorProto { Name = Claim(Scoped(name + "_quantized")), DataType = (int)TensorProto.Types.DataType.Int8 };
        q.Dims.AddRange(weight.shape);
        q.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(quantized.AsSpan()));
        Proto.Initializer.Add(q);
        var zero = new TensorProto { Name = Claim(Scoped(name + "_zero_point")), DataType = (int)TensorProto.Types.DataType.Int8 };
        zero.Dims.Add(scales.Length);
        zero.RawData = ByteString.CopyFrom(new byte[scales.Length]);
        Proto.Initializer.Add(zero);
        var scale = Initializer(name + "_scale", scales, new long[] { scales.Length });
        return Node("DequantizeLinear", new[] { new OnnxValue(q.Name), scale, new OnnxValue(zero.Name) }, OnnxAttribute.Int("axis", channelAxis));
    }

    private OnnxValue Constant(string key, Func<OnnxValue> make)
    {
        if (!_constants.TryGetValue(key, out var value)) _constants[key] = value = make();
        return value;
    }

    private string Scoped(string name) => _scope.Count == 0 ? name : Path + "." + name;

    private string Claim(string name)
    {
        var unique = name;
        for (int i = 1; !_names.Add(unique); i++) unique = $"{name}_{i}";
        return unique;
    }

    private static NodeProto NewNode(string opType, IEnumerable<OnnxValue> inputs, IEnumerable<string> outputs)
    {
        var node = new NodeProto { OpType = opType, Name = outputs.First() };
        node.Input.AddRange(inputs.Select(i => i.Name));
        node.Output.AddRange(outputs);
        return node;
    }

    private static ValueInfoProto ValueInfo(string name, IEnumerable<object> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = (long)dim });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

/// <summary>An attribute of an ONNX node.</summary>
public sealed class OnnxAttribute
{
    private OnnxAttribute(AttributeProto proto) => Proto = proto;

    internal AttributeProto Proto { get; }

    public static OnnxAttribute Int(string name, long value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    public static OnnxAttribute Float(string name, double value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value });

    public static OnnxAttribute Ints(string name, params long[] values)
    {
        var proto = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        proto.Ints.AddRange(values);
        return new(proto);
    }
}

/// <summary>A module that cannot be written as ONNX, or a file that could not be written.</summary>
public sealed class OnnxExportException(string message) : Exception(message);
