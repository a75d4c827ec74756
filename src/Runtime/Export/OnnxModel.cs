using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace MiDistill.Runtime.Export;

/// <summary>
/// An exported model loaded in ONNX Runtime (full graph validation on load): its input contract
/// read from the graph's input and its class names from <c>metadata_props</c>.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;

    private OnnxModel(string path, InferenceSession session)
    {
        Path = path;
        _session = session;
        var input = session.InputMetadata.TryGetValue(OnnxExporter.InputName, out var meta) ? meta
            : throw new InvalidDataException($"{path}: not a MiDistill model (no input `{OnnxExporter.InputName}`; it has {string.Join(", ", session.InputMetadata.Keys)})");
        var dims = input.Dimensions;
        if (dims.Length != 4 || dims[1] < 1 || dims[2] < 1 || dims[2] != dims[3])
            throw new InvalidDataException($"{path}: input `{OnnxExporter.InputName}` should be [batch, channels, size, size], found [{string.Join(", ", dims)}]");
        Channels = dims[1];
        ImageSize = dims[2];
        Metadata = session.ModelMetadata.CustomMetadataMap;
        ClassNames = Metadata.TryGetValue(OnnxMetadata.Classes, out var classes)
            ? JsonSerializer.Deserialize<string[]>(classes) ?? Array.Empty<string>()
            : Array.Empty<string>();
        Decoding = Metadata.TryGetValue(OnnxMetadata.Decoding, out var decoding) ? ImageDecoding.Parse(decoding, path) : null;
        if (Decoding is { } d && d.Channels != Channels)
            throw new InvalidDataException($"{path}: metadata `{OnnxMetadata.Decoding}` decodes {d.Channels} channels, but input `{OnnxExporter.InputName}` takes {Channels}");
    }

    public string Path { get; }
    public int Channels { get; }
    public int ImageSize { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>How its training images were decoded; null in a file exported before MiDistill recorded it, or from data that was not an image folder.</summary>
    public ImageDecoding? Decoding { get; }

    /// <summary>
    /// Loads <paramref name="path"/>; a missing, damaged or invalid file is an <see cref="InvalidDataException"/>
    /// naming it. <paramref name="optimize"/> false runs the graph as written, without ONNX Runtime's
    /// graph rewrites (which may, for instance, run int8 weights through integer kernels).
    /// </summary>
    public static OnnxModel Load(string path, int threads = 1, bool optimize = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (an .onnx file written by `export`)", path);
        using var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, threads), InterOpNumThreads = 1 };
        if (!optimize) options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: not a valid ONNX model ({e.Message.Trim()})", e);
        }
        try
        {
            return new OnnxModel(path, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Logits [batch, classes] of <paramref name="pixels"/>, [batch, channels, size, size] in [0, 1], row-major.</summary>
    public float[][] Run(float[] pixels, int batch)
    {
        long[] shape = { batch, Channels, ImageSize, ImageSize };
        if (pixels.Length != batch * Channels * ImageSize * ImageSize)
            throw new ArgumentException($"{batch} images of [{Channels}, {ImageSize}, {ImageSize}] are {batch * Channels * ImageSize * ImageSize} values, got {pixels.Length}");
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, new[] { OnnxExporter.InputName }, new[] { input }, new[] { OnnxExporter.OutputName });
        var flat = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        int classes = flat.Length / Math.Max(1, batch);
        return Enumerable.Range(0, batch).Select(i => flat.AsSpan(i * classes, classes).ToArray()).ToArray();
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>The <c>metadata_props</c> keys MiDistill writes.</summary>
public static class OnnxMetadata
{
    /// <summary>The class names, a JSON array in logit order.</summary>
    public const string Classes = "midistill.classes";
    public const string Recipe = "midistill.recipe";
    public const string Variant = "midistill.variant";
    public const string Seed = "midistill.seed";
    /// <summary>"student" or "teacher".</summary>
    public const string Role = "midistill.role";
    /// <summary>The SHA-256 (hex) of the unit's resolved settings as settings.json writes them.</summary>
    public const string SettingsSha256 = "midistill.settings_sha256";
    /// <summary>The input contract in words.</summary>
    public const string Input = "midistill.input";
    /// <summary>How the training images were decoded from files (<see cref="ImageDecoding"/>, JSON); only for an <c>image_folder</c> data set.</summary>
    public const string Decoding = "midistill.decoding";
    /// <summary>Present on a weight-quantised model: what was quantised and how.</summary>
    public const string Quantization = "midistill.quantization";
}
