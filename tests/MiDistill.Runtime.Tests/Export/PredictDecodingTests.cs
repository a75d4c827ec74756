using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Export;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Tests.Sweeps;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Export;

/// <summary>
/// `predict` decodes as training decoded: the exported model records its image folder's size,
/// channels and resize filter, and predict's probabilities equal those of the model run on images
/// decoded by <see cref="ImageFiles.Decode(string, int, int, ResizeFilter)"/> with that filter
/// (and not with the bilinear one, so the test tells them apart); a model without the record
/// keeps the bilinear decode and says so.
/// </summary>
public sealed class PredictDecodingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-predict-").FullName;

    static PredictDecodingTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // 20x20 PNG images in class folders a..d.
    private static string TestImages => Path.Combine(Executable.RepoRoot(), "tests", "MiDistill.Runtime.Tests", "Regression", "Data", "folder", "test");

    private static readonly string[] Classes = { "a", "b", "c", "d" };

    [Fact]
    public void Export_records_an_image_folders_decoding_and_nothing_for_other_data()
    {
        var source = new ImageFolderSource(ImageSize: 12, Color: ColorMode.Rgb, Resize: Interpolation.Bicubic);
        Assert.Equal(new ImageDecoding(12, 3, ResizeFilter.Bicubic), ModelExport.Decoding(source));
        Assert.Equal("""{"image_size":12,"channels":3,"resize":"bicubic"}""", ModelExport.Decoding(source)!.ToJson());
        Assert.Equal(new ImageDecoding(28, 1, ResizeFilter.Bilinear), ModelExport.Decoding(new ImageFolderSource()));
        Assert.Null(ModelExport.Decoding(new FashionMnistSource()));
    }

    [Theory]
    [InlineData(12)] // the model takes the data's size: the recorded filter does the whole resize
    [InlineData(16)] // the model is larger: the batch is then resized bilinearly, as the input adapter does
    public void Predict_decodes_with_the_recorded_filter(int modelSize)
    {
        var recorded = ModelExport.Decoding(new ImageFolderSource(ImageSize: 12, Resize: Interpolation.Bicubic))!;
        var path = Export(modelSize, recorded);
        using var model = OnnxModel.Load(path);
        Assert.Equal(recorded, model.Decoding);

        var (predictions, _) = Predictor.Predict(model, TestImages, top: Classes.Length);
        Assert.Equal(Directory.GetFiles(TestImages, "*.png", SearchOption.AllDirectories).Length, predictions.Count);
        double bilinearDifference = 0;
        foreach (var prediction in predictions)
        {
            var expected = Probabilities(model, Reference(prediction.File, 12, ResizeFilter.Bicubic, modelSize));
            foreach (var (name, probability) in prediction.Top)
                Assert.Equal(expected[Array.IndexOf(Classes, name)], probability, 6);
            var bilinear = Probabilities(model, Reference(prediction.File, 12, ResizeFilter.Bilinear, modelSize));
            bilinearDifference = Math.Max(bilinearDifference, expected.Zip(bilinear, (x, y) => Math.Abs(x - y)).Max());
        }
        // Were predict to decode bilinearly, its probabilities would be this far off.
        Assert.True(bilinearDifference > 1e-4, $"bicubic and bilinear decoding give probabilities within {bilinearDifference:g3}: the test cannot tell them apart");
    }

    [Fact]
    public void A_model_without_the_record_keeps_the_bilinear_decode_and_says_so()
    {
        var path = Export(12, decoding: null);
        using (var model = OnnxModel.Load(path))
        {
            Assert.Null(model.Decoding);
            var prediction = Predictor.Predict(model, Path.Combine(TestImages, "a"), top: Classes.Length).Predictions[0];
            var expected = Probabilities(model, Reference(prediction.File, 12, ResizeFilter.Bilinear, 12));
            foreach (var (name, probability) in prediction.Top)
                Assert.Equal(expected[Array.IndexOf(Classes, name)], probability, 6);
        }
        var output = new StringWriter();
        Predictor.Run(path, Path.Combine(TestImages, "a"), top: 1, csv: null, threads: 1, output);
        Assert.Contains($"note: {path} does not record how its training images were decoded", output.ToString());
        Assert.Contains("bilinear resize straight to 12x12", output.ToString());
    }

    [Fact]
    public void A_damaged_decoding_record_is_an_error_naming_the_file()
    {
        var path = Export(12, decoding: null, extra: ("midistill.decoding", """{"image_size":12,"channels":1,"resize":"nearest"}"""));
        var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("unknown resize `nearest`", e.Message);
    }

    // A grayscale linear classifier at modelSize, with the decoding (if any) in its metadata.
    private string Export(int modelSize, ImageDecoding? decoding, (string Key, string Value)? extra = null)
    {
        torch.manual_seed(5);
        using var module = nn.Sequential(("flatten", (nn.Module<Tensor, Tensor>)nn.Flatten()), ("head", nn.Linear(modelSize * modelSize, Classes.Length)));
        // Large weights, so that small pixel differences move the probabilities visibly.
        using (torch.no_grad()) module.parameters().First().mul_(40);
        var metadata = new Dictionary<string, string> { [OnnxMetadata.Classes] = JsonSerializer.Serialize(Classes) };
        if (decoding is not null) metadata[OnnxMetadata.Decoding] = decoding.ToJson();
        if (extra is { } e) metadata[e.Key] = e.Value;
        var path = Path.Combine(_root, $"model-{modelSize}-{metadata.Count}.onnx");
        OnnxExporter.Export(module, new OnnxInputContract(1, modelSize, 1, new[] { 0.5f }, new[] { 0.25f }), Classes.Length, metadata, path);
        return path;
    }

    // Training's path, written out here: the image decoded by the data layer at the data's size with
    // the filter, to [0, 1], then resized as a batch tensor to the model's size where it differs.
    private static float[] Reference(string file, int dataSize, ResizeFilter filter, int modelSize)
    {
        var pixels = ImageFiles.Decode(file, dataSize, 1, filter).Select(b => b / 255f).ToArray();
        if (dataSize == modelSize) return pixels;
        using var scope = torch.NewDisposeScope();
        var image = torch.tensor(pixels).reshape(1, 1, dataSize, dataSize);
        return nn.functional.interpolate(image, new long[] { modelSize, modelSize }, mode: InterpolationMode.Bilinear, align_corners: false)
            .contiguous().data<float>().ToArray();
    }

    private static double[] Probabilities(OnnxModel model, float[] pixels)
    {
        var logits = model.Run(pixels, 1)[0];
        double max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        return exp.Select(x => x / exp.Sum()).ToArray();
    }
}
