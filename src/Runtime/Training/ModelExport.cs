using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Export;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>What an export wrote and how far ONNX Runtime's logits were from TorchSharp's on test images.</summary>
public sealed record ExportedModel(string Path, string Role, int CheckedImages, double MaxLogitDifference, int DisagreeingPredictions);

/// <summary>An int8 weight-quantised copy beside its float model: both files' test-split accuracy in ONNX Runtime, and their sizes.</summary>
public sealed record QuantizedModel(string Path, string FloatPath, double FloatAccuracy, double Int8Accuracy, long FloatBytes, long Int8Bytes);

/// <summary>
/// Exports a unit's trained models (the export step and the <c>export</c> command): the input
/// contract from the model's input adapter and the data's statistics, metadata from the unit, and a
/// check of the written file in ONNX Runtime against TorchSharp on test images.
/// </summary>
public static class ModelExport
{
    /// <summary>Where a run folder's exports go (the export command's default too).</summary>
    public const string FolderName = "export";

    /// <summary>Logits further apart than this fail the check: a wrong graph differs by far more, rounding by far less.</summary>
    public const double CheckTolerance = 1e-3;

    public static string FileName(ExperimentOptions unit, string role) => $"{unit.Variant}-seed{unit.Run.Seed}-{role}.onnx";

    /// <summary>The int8 copy of <paramref name="floatPath"/>: <c>...-student.int8.onnx</c>.</summary>
    public static string Int8FileName(string floatPath) => System.IO.Path.ChangeExtension(floatPath, ".int8.onnx");

    /// <summary>The contract of a model fed through <paramref name="adapter"/> from images of <paramref name="data"/>.</summary>
    public static OnnxInputContract Contract(InputAdapter adapter, ImageSet data)
    {
        float[] mean, std;
        if (adapter.Normalize == Normalization.Dataset)
        {
            // The data's own statistics, once per model channel when a grayscale channel is repeated.
            mean = Enumerable.Range(0, adapter.Channels).Select(c => data.Statistics.Mean[c % data.Channels]).ToArray();
            std = Enumerable.Range(0, adapter.Channels).Select(c => data.Statistics.Std[c % data.Channels]).ToArray();
        }
        else
            (mean, std) = InputAdapter.Statistics(adapter.Normalize, adapter.Channels);
        return new OnnxInputContract(data.Channels, adapter.ImageSize, adapter.Channels, mean, std);
    }

    /// <summary>Class names, recipe, variant, seed, role, the SHA-256 of the unit's resolved settings, and how image files were decoded.</summary>
    public static Dictionary<string, string> Metadata(ExperimentOptions unit, ExperimentData data, string role, OnnxInputContract contract)
    {
        var names = data.ClassNames ?? data.DownstreamClasses.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var settings = SettingsJson.Serialize(unit);
        var metadata = new Dictionary<string, string>
        {
            [OnnxMetadata.Classes] = JsonSerializer.Serialize(names),
            [OnnxMetadata.Recipe] = unit.Recipe,
            [OnnxMetadata.Variant] = unit.Variant,
            [OnnxMetadata.Seed] = unit.Run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [OnnxMetadata.Role] = role,
            [OnnxMetadata.SettingsSha256] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings))),
            [OnnxMetadata.Input] = $"pixels: float32 [batch, {contract.Channels}, {contract.ImageSize}, {contract.ImageSize}], values in [0, 1] "
                + $"({(contract.Channels == 1 ? "grayscale" : "RGB")}), resized to {contract.ImageSize}x{contract.ImageSize}; normalisation is inside the graph",
        };
        if (Decoding(unit.Data.Source) is { } decoding) metadata[OnnxMetadata.Decoding] = decoding.ToJson();
        return metadata;
    }

    /// <summary>How <paramref name="source"/> decodes its image files (what <c>predict</c> repeats); null for data that is not read from image files.</summary>
    public static ImageDecoding? Decoding(DataSourceOptions source) =>
        source is ImageFolderSource folder ? new ImageDecoding(folder.ImageSize, folder.Color.Channels(), folder.Resize.Filter()) : null;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> and checks the file in ONNX Runtime on (at most 64) test images.</summary>
    public static ExportedModel Write(nn.Module<Tensor, Tensor> model, InputAdapter adapter, ExperimentOptions unit, ExperimentData data, string role, string path)
    {
        var contract = Contract(adapter, data.Train);
        OnnxExporter.Export(model, contract, data.DownstreamClasses.Count, Metadata(unit, data, role, contract), path);
        var check = Check(model, adapter, contract, data.Test, path);
        if (check.MaxLogitDifference > CheckTolerance)
            throw new OnnxExportException($"{path}: ONNX Runtime's logits differ from TorchSharp's by up to {check.MaxLogitDifference:g3} on {check.CheckedImages} test images "
                + $"(more than {CheckTolerance:g}): the export of {model.GetType().Name} does not compute what the model computes");
        return check with { Role = role };
    }

    /// <summary>The console line of an export.</summary>
    public static string Describe(ExportedModel model) =>
        $"{model.Path} (ONNX Runtime vs TorchSharp on {model.CheckedImages} test images: logits within {model.MaxLogitDifference:g2}, {model.DisagreeingPredictions} different predictions)";

    /// <summary>The console line of an int8 copy: test-split accuracy beside the float model's, and the sizes.</summary>
    public static string Describe(QuantizedModel model) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{model.Path} (test accuracy in ONNX Runtime {100 * model.Int8Accuracy:0.00}% with int8 weights, {100 * model.FloatAccuracy:0.00}% in float; {model.Int8Bytes / 1024.0:0.0} KB, float {model.FloatBytes / 1024.0:0.0} KB)");

    /// <summary>
    /// Writes the int8 weight-quantised copy of a model already exported to <paramref name="floatPath"/>
    /// and measures both files' accuracy on the whole test split in ONNX Runtime.
    /// </summary>
    public static QuantizedModel WriteInt8(nn.Module<Tensor, Tensor> model, InputAdapter adapter, ExperimentOptions unit, ExperimentData data, string role, string floatPath)
    {
        var contract = Contract(adapter, data.Train);
        var path = Int8FileName(floatPath);
        OnnxExporter.Export(model, contract, data.DownstreamClasses.Count, Metadata(unit, data, role, contract), path, int8Weights: true);
        return new QuantizedModel(path, floatPath, TestAccuracy(floatPath, data.Test), TestAccuracy(path, data.Test), new FileInfo(floatPath).Length, new FileInfo(path).Length);
    }

    /// <summary>Top-1 accuracy of an exported model on <paramref name="test"/> in ONNX Runtime, from [0, 1] pixels as a deployer gives them.</summary>
    public static double TestAccuracy(string path, ImageSet test)
    {
        using var onnx = OnnxModel.Load(path);
        int correct = 0;
        for (int start = 0; start < test.Count; start += 64)
        {
            using var scope = NewDisposeScope();
            var indices = Enumerable.Range(start, Math.Min(64, test.Count - start)).ToArray();
            var pixels = Pixels(test, indices, onnx.ImageSize);
            var logits = onnx.Run(pixels.contiguous().data<float>().ToArray(), indices.Length);
            for (int i = 0; i < indices.Length; i++)
                if (Array.IndexOf(logits[i], logits[i].Max()) == test.Labels[indices[i]]) correct++;
        }
        return test.Count == 0 ? double.NaN : correct / (double)test.Count;
    }

    // The images in [0, 1] at the model's size, resized as the input adapter resizes (bilinear, antialiased when shrinking).
    private static Tensor Pixels(ImageSet set, int[] indices, int size)
    {
        var (normalised, _) = set.ToTensors(indices);
        var pixels = normalised.mul(tensor(set.Statistics.Std.ToArray()).reshape(1, -1, 1, 1)).add(tensor(set.Statistics.Mean.ToArray()).reshape(1, -1, 1, 1));
        return pixels.shape[2] == size && pixels.shape[3] == size ? pixels
            : nn.functional.interpolate(pixels, new long[] { size, size }, mode: InterpolationMode.Bilinear, align_corners: false, antialias: pixels.shape[2] > size);
    }

    private static ExportedModel Check(nn.Module<Tensor, Tensor> model, InputAdapter adapter, OnnxInputContract contract, ImageSet test, string path)
    {
        int count = Math.Min(64, test.Count);
        if (count == 0) return new ExportedModel(path, "", 0, 0, 0);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var indices = Enumerable.Range(0, count).ToArray();
        var (normalised, _) = test.ToTensors(indices);
        bool training = model.training;
        model.eval();
        var expected = model.call(adapter.Apply(normalised)).cpu();
        model.train(training);
        // ONNX Runtime gets what a deployer gives it: [0, 1] pixels at the model's size, resized as the adapter resizes.
        var pixels = Pixels(test, indices, contract.ImageSize);
        using var onnx = OnnxModel.Load(path);
        var actual = onnx.Run(pixels.contiguous().data<float>().ToArray(), count);
        var actualTensor = tensor(actual.SelectMany(r => r).ToArray()).reshape(count, -1);
        double worst = expected.sub(actualTensor).abs().max().item<float>();
        long disagreeing = expected.argmax(1).ne(actualTensor.argmax(1)).sum().item<long>();
        return new ExportedModel(path, "", count, worst, (int)disagreeing);
    }
}
