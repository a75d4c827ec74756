using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using MiDistill.Runtime.Data;
using TorchSharp;

namespace MiDistill.Runtime.Export;

/// <summary>One image's prediction: the top classes with their softmax probabilities, and its label when its folder names one.</summary>
public sealed record Prediction(string File, string? Label, IReadOnlyList<(string Class, double Probability)> Top);

/// <summary>
/// `predict`: an exported model in ONNX Runtime on image files, decoded as its training data decoded
/// them (SkiaSharp, with the size, channels and resize filter the model's metadata records; see <see cref="Pixels"/>).
/// </summary>
public static class Predictor
{
    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };

    /// <summary>Predicts every image of <paramref name="imagesPath"/>; with class subfolders, the accuracy too (null otherwise).</summary>
    public static (IReadOnlyList<Prediction> Predictions, double? Accuracy) Predict(OnnxModel model, string imagesPath, int top, int batchSize = 32)
    {
        var files = Files(imagesPath, model);
        var predictions = new List<Prediction>();
        int size = model.Channels * model.ImageSize * model.ImageSize;
        foreach (var batch in files.Chunk(batchSize))
        {
            var pixels = new float[batch.Length * size];
            for (int i = 0; i < batch.Length; i++)
                Pixels(batch[i].File, model).CopyTo(pixels, i * size);
            var logits = model.Run(pixels, batch.Length);
            for (int i = 0; i < batch.Length; i++)
                predictions.Add(new Prediction(batch[i].File, batch[i].Label, TopClasses(logits[i], model.ClassNames, top)));
        }
        var labelled = predictions.Where(p => p.Label is not null).ToList();
        double? accuracy = labelled.Count == 0 ? null : labelled.Count(p => p.Top[0].Class == p.Label) / (double)labelled.Count;
        return (predictions, accuracy);
    }

    /// <summary>The command: one line per image, the accuracy, and the CSV when asked.</summary>
    public static void Run(string modelPath, string imagesPath, int top, string? csv, int threads, TextWriter output)
    {
        using var model = OnnxModel.Load(modelPath, threads);
        if (model.Decoding is null)
            output.WriteLine($"note: {modelPath} does not record how its training images were decoded (exported before MiDistill recorded it, "
                + $"or its data was not an image folder): decoding with a bilinear resize straight to {model.ImageSize}x{model.ImageSize}");
        var (predictions, accuracy) = Predict(model, imagesPath, top);
        foreach (var p in predictions)
            output.WriteLine($"{p.File}: {string.Join(", ", p.Top.Select(t => $"{t.Class} {Percent(t.Probability)}"))}" + (p.Label is null ? "" : $"  (folder: {p.Label})"));
        if (accuracy is { } acc)
            output.WriteLine($"accuracy: {Percent(acc)} ({predictions.Count(p => p.Label is not null && p.Top[0].Class == p.Label)} of {predictions.Count(p => p.Label is not null)} images in class folders)");
        if (csv is not null)
        {
            var text = new StringBuilder("file,label," + string.Join(",", Enumerable.Range(1, Math.Min(top, model.ClassNames.Count)).Select(k => $"class{k},probability{k}")) + "\n");
            foreach (var p in predictions)
                text.Append(Csv(p.File)).Append(',').Append(Csv(p.Label ?? "")).Append(string.Concat(p.Top.Select(t => "," + Csv(t.Class) + "," + t.Probability.ToString("0.######", CultureInfo.InvariantCulture)))).Append('\n');
            File.WriteAllText(csv, text.ToString());
            output.WriteLine($"predictions: {Path.GetFullPath(csv)}");
        }
    }

    /// <summary>
    /// One image as the model's input ([C, S, S] in [0, 1]), decoded as its training images were: to the
    /// recorded size with the recorded filter, then, where the model's size differs, resized as the
    /// input adapter resizes a batch (bilinear, antialiased when shrinking). A model without the
    /// record (<see cref="OnnxModel.Decoding"/> null) gets a bilinear decode straight to its size.
    /// </summary>
    public static float[] Pixels(string file, OnnxModel model)
    {
        var decoding = model.Decoding ?? new ImageDecoding(model.ImageSize, model.Channels, ResizeFilter.Bilinear);
        var bytes = ImageFiles.Decode(file, decoding.ImageSize, decoding.Channels, decoding.Resize);
        if (decoding.ImageSize == model.ImageSize) return bytes.Select(b => b / 255f).ToArray();
        using var scope = torch.NewDisposeScope();
        var image = torch.tensor(bytes.Select(b => b / 255f).ToArray()).reshape(1, decoding.Channels, decoding.ImageSize, decoding.ImageSize);
        var resized = torch.nn.functional.interpolate(image, new long[] { model.ImageSize, model.ImageSize }, mode: torch.InterpolationMode.Bilinear,
            align_corners: false, antialias: decoding.ImageSize > model.ImageSize);
        return resized.contiguous().data<float>().ToArray();
    }

    // A file; a folder of images; or a folder of class folders (names the model's classes: their images are labelled).
    private static List<(string File, string? Label)> Files(string path, OnnxModel model)
    {
        if (File.Exists(path)) return new() { (path, null) };
        if (!Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such image or folder");
        var images = Images(path).Select(f => (f, (string?)null)).ToList();
        foreach (var folder in Directory.GetDirectories(path).OrderBy(d => d, StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (!model.ClassNames.Contains(name))
                throw new InvalidDataException($"{folder}: `{name}` is not a class of {model.Path} (its classes: {string.Join(", ", model.ClassNames)}); give a folder of images, or one subfolder per class of the model");
            images.AddRange(Images(folder).Select(f => (f, (string?)name)));
        }
        if (images.Count == 0) throw new InvalidDataException($"{path}: no .png, .jpg or .jpeg images");
        return images;
    }

    private static IEnumerable<string> Images(string folder) =>
        Directory.GetFiles(folder).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).OrderBy(f => f, StringComparer.Ordinal);

    private static IReadOnlyList<(string, double)> TopClasses(float[] logits, IReadOnlyList<string> names, int top)
    {
        double max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        double sum = exp.Sum();
        return Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(top)
            .Select(i => (i < names.Count ? names[i] : i.ToString(CultureInfo.InvariantCulture), exp[i] / sum)).ToArray();
    }

    private static string Percent(double value) => (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Csv(string value) => value.Contains(',') || value.Contains('"') ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
}
