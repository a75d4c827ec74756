using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Export;

/// <summary>
/// Writes a model as an ONNX file: evaluation mode, a dynamic batch axis, input <c>pixels</c>
/// (<see cref="OnnxInputContract"/>) and output <c>logits</c> [batch, classes], metadata in
/// <c>metadata_props</c>. The file appears whole or not at all.
/// </summary>
public static class OnnxExporter
{
    public const string InputName = "pixels";
    public const string OutputName = "logits";

    /// <summary>IR version 8 (ONNX 1.10-1.12), the newest the ONNX 1.12 checker accepts with opset 17.</summary>
    public const long IrVersion = 8;

    /// <summary>
    /// Exports <paramref name="model"/> to <paramref name="path"/>; an exception leaves no file (and an
    /// older file as it was). <paramref name="int8Weights"/> stores convolution and linear weights as
    /// int8 per output channel (weight-only QDQ, <see cref="OnnxGraph.QuantizeWeights"/>).
    /// </summary>
    public static void Export(nn.Module model, OnnxInputContract input, int classes, IReadOnlyDictionary<string, string> metadata, string path, bool int8Weights = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        // The whole graph is built before a byte is written: a module that cannot be exported fails here.
        var proto = Build(model, input, classes, metadata, int8Weights);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".partial";
        try
        {
            using (var stream = File.Create(temp))
            {
                proto.WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    internal static ModelProto Build(nn.Module model, OnnxInputContract input, int classes, IReadOnlyDictionary<string, string> metadata, bool int8Weights = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(metadata);
        // The top-level model must say how it exports itself: a module of unknown layers is named here, not halfway in.
        if (model is not (IOnnxExportable or Sequential) && OnnxLayers.Find(model) is null)
            throw new OnnxExportException(OnnxGraph.NotExportable(model, ""));
        var graph = new OnnxGraph { QuantizeWeights = int8Weights };
        var pixels = graph.Input(InputName, input.Channels, input.ImageSize, input.ImageSize);
        var logits = graph.Export(model, input.Emit(graph, pixels));
        graph.Output(logits, OutputName, classes);

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MiDistill",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxGraph.Opset });
        var props = new Dictionary<string, string>(metadata);
        if (int8Weights) props[OnnxMetadata.Quantization] = "int8 weights: convolutions and linear layers, symmetric, per output channel (QDQ DequantizeLinear)";
        foreach (var (key, value) in props.OrderBy(p => p.Key, StringComparer.Ordinal))
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }
}
