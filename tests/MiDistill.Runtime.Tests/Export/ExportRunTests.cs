using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MiDistill.Recipes;
using MiDistill.Runtime.Export;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using MiDistill.Runtime.Training.Plan;
using MiDistill.Runtime.Tests.Sweeps;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Export;

/// <summary>
/// End to end: a tiny recipe with `export { onnx true; teacher true; int8 true }` runs on the committed image
/// folder; `predict` over its test images in ONNX Runtime scores what the run's own evaluation
/// scored; the `export` command writes the same files; a damaged file and a model without the
/// mechanism fail clearly and leave nothing behind.
/// </summary>
public sealed class ExportRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-export-").FullName;

    static ExportRunTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string ImageFolder => Path.Combine(Executable.RepoRoot(), "tests", "MiDistill.Runtime.Tests", "Regression", "Data", "folder");

    [Fact]
    public void A_run_with_export_on_writes_models_that_predict_its_test_split_as_its_evaluation_did()
    {
        var console = new StringWriter();
        var report = new ExportRecipe().Run(new RunRequest
        {
            DataPath = ImageFolder,
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = console,
        });
        var result = Assert.Single(report.Results);
        var student = Path.Combine(report.RunFolder, "export", $"default-seed{result.Seed}-student.onnx");
        var teacher = Path.Combine(report.RunFolder, "export", $"default-seed{result.Seed}-teacher.onnx");
        Assert.True(File.Exists(student), console.ToString());
        Assert.True(File.Exists(teacher), console.ToString());
        Assert.Contains("exported the student", console.ToString());
        // int8 true: the quantised copies, their accuracy beside the float file's, which is the run's own.
        Assert.True(File.Exists(Path.ChangeExtension(student, ".int8.onnx")), console.ToString());
        Assert.True(File.Exists(Path.ChangeExtension(teacher, ".int8.onnx")), console.ToString());
        OnnxChecker.AssertValid(Path.ChangeExtension(student, ".int8.onnx"));
        Assert.Contains($"{100 * result.Student["acc"]:0.00}% in float", console.ToString());
        Assert.Empty(Directory.GetFiles(Path.Combine(report.RunFolder, "export"), "*.partial"));
        OnnxChecker.AssertValid(student);
        OnnxChecker.AssertValid(teacher);

        // The run's test split: classes c and d of test/ (classes [2, 3]); predict reads those folders.
        var testSplit = Path.Combine(_root, "test");
        foreach (var name in new[] { "c", "d" })
            CopyFolder(Path.Combine(ImageFolder, "test", name), Path.Combine(testSplit, name));
        using (var model = OnnxModel.Load(student))
        {
            Assert.Equal(new[] { "c", "d" }, model.ClassNames);
            Assert.Equal("export", model.Metadata[OnnxMetadata.Recipe]);
            Assert.Equal("student", model.Metadata[OnnxMetadata.Role]);
            Assert.Equal(ExpectedSettingsHash(report.RunFolder, result.Seed), model.Metadata[OnnxMetadata.SettingsSha256]);
            var (predictions, accuracy) = Predictor.Predict(model, testSplit, top: 2);
            Assert.Equal(Directory.GetFiles(testSplit, "*.png", SearchOption.AllDirectories).Length, predictions.Count);
            Assert.Equal(result.Student["acc"], accuracy!.Value, 12);
        }

        // Export changes no number: the same recipe without `export` (the `folder` recipe) trains and scores exactly the same.
        var plain = new FolderRecipe().Run(new RunRequest
        {
            DataPath = ImageFolder,
            OutputDirectory = Path.Combine(_root, "plain-runs"),
            CacheDirectory = Path.Combine(_root, "plain-cache"),
            Output = TextWriter.Null,
        });
        Assert.Equal(Numbers(plain.RunFolder), Numbers(report.RunFolder));

        // The command: the same files again, byte for byte, and predict's printed accuracy and CSV.
        var again = Path.Combine(_root, "again");
        var (code, output, error) = Host("export", report.RunFolder, "--output", again, "--teacher", "--variant", "default");
        Assert.True(code == ExitCodes.Ok, error + output);
        Assert.Equal(File.ReadAllBytes(student), File.ReadAllBytes(Path.Combine(again, Path.GetFileName(student))));
        Assert.Equal(File.ReadAllBytes(teacher), File.ReadAllBytes(Path.Combine(again, Path.GetFileName(teacher))));
        var csv = Path.Combine(_root, "predictions.csv");
        (code, output, error) = Host("predict", student, testSplit, "--top", "2", "--csv", csv);
        Assert.True(code == ExitCodes.Ok, error + output);
        Assert.Contains($"accuracy: {100 * result.Student["acc"]:0.0}%", output);
        Assert.Equal("file,label,class1,probability1,class2,probability2", File.ReadLines(csv).First());
        Assert.Equal(1 + Directory.GetFiles(testSplit, "*.png", SearchOption.AllDirectories).Length, File.ReadLines(csv).Count());
    }

    [Fact]
    public void Predict_names_a_damaged_model_file()
    {
        var damaged = Path.Combine(_root, "damaged.onnx");
        using (var model = nn.Sequential(("fc", (nn.Module<Tensor, Tensor>)nn.Flatten()), ("head", nn.Linear(16 * 16, 2))))
            OnnxExporter.Export(model, new OnnxInputContract(1, 16, 1, new[] { 0.5f }, new[] { 0.25f }), 2, new Dictionary<string, string>(), damaged);
        var bytes = File.ReadAllBytes(damaged);
        File.WriteAllBytes(damaged, bytes.Take(bytes.Length / 2).ToArray());
        var (code, _, error) = Host("predict", damaged, Path.Combine(ImageFolder, "test", "a"));
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains(damaged, error);
        Assert.Contains("not a valid ONNX model", error);
    }

    [Fact]
    public void The_deploy_docs_example_predicts_as_predict_does()
    {
        var path = Path.Combine(_root, "default-seed7-student.onnx");
        var contract = new OnnxInputContract(1, 16, 1, new[] { 0.3f }, new[] { 0.3f });
        using (var student = new MiDistill.Runtime.Models.SmallCnn(4, 1, 4))
        {
            student.eval();
            OnnxExporter.Export(student, contract, 4, new Dictionary<string, string> { [OnnxMetadata.Classes] = "[\"a\",\"b\",\"c\",\"d\"]" }, path);
        }
        var image = Directory.GetFiles(Path.Combine(ImageFolder, "test", "b"), "*.png").OrderBy(f => f, StringComparer.Ordinal).First();
        var gray = MiDistill.Runtime.Data.ImageFiles.Decode(image, 16, channels: 1);

        // docs/deploy.md, "Using the model in another application", with the image filled in.
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        var classes = JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["midistill.classes"])!;
        var size = session.InputMetadata["pixels"].Dimensions[2];
        var pixels = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(new[] { 1, 1, size, size });
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) pixels[0, 0, y, x] = gray[y * size + x] / 255f;
        using var results = session.Run(new[] { Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("pixels", pixels) });
        var logits = results.First().AsEnumerable<float>().ToArray();
        var answer = classes[Array.IndexOf(logits, logits.Max())];

        using var model = OnnxModel.Load(path);
        Assert.Equal(16, size);
        Assert.Equal(Predictor.Predict(model, image, top: 1).Predictions.Single().Top[0].Class, answer);
    }

    /// <summary>A user's own student, as a user writes it before reading docs/deploy.md: an ordinary TorchSharp module.</summary>
    private sealed class PlainStudent : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear head = nn.Linear(16 * 16, 2);

        public PlainStudent() : base(nameof(PlainStudent)) => RegisterComponents();

        public override Tensor forward(Tensor x) => head.call(x.flatten(1));
    }

    [Fact]
    public void A_student_without_the_mechanism_is_a_clear_error_and_leaves_no_file()
    {
        var path = Path.Combine(_root, "out", "own.onnx");
        var contract = new OnnxInputContract(1, 16, 1, new[] { 0.5f }, new[] { 0.25f });
        using var own = new PlainStudent();
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(own, contract, 2, new Dictionary<string, string>(), path));
        Assert.Contains("PlainStudent", e.Message);
        Assert.Contains("implement MiDistill.Runtime.Export.IOnnxExportable", e.Message);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)) && Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(path)!).Any());

        // Inside an exportable model, the failing layer is named by its path, and an earlier file stays as it was.
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "earlier");
        using var nested = nn.Sequential(("features", (nn.Module<Tensor, Tensor>)nn.Identity()), ("block", new PlainStudent()));
        e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(nested, contract, 2, new Dictionary<string, string>(), path));
        Assert.Contains("module `block`", e.Message);
        Assert.Equal("earlier", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void A_run_with_export_on_and_a_student_without_the_mechanism_fails_before_training()
    {
        var options = new ExperimentOptions
        {
            Recipe = "plain_export",
            Teacher = new TeacherOptions { Model = new VitOptions { Name = "micro", PatchSize = 7, EmbedDim = 32, Depth = 2, Heads = 2 }, Pretrain = new PretrainOptions { Classes = [0, 1], Epochs = 1, MaxImages = 200 } },
            Data = new DataOptions { Classes = [2, 3], Regime = new FewShotRegime(PerClass: 10), ValidationFraction = 0.2, MaxTestImages = 50 },
            Distill = new DistillOptions { Student = new PlainStudentOptions(), Epochs = 1, BatchSize = 8 },
            Run = new RunOptions { Threads = 1, OutputDirectory = Path.Combine(_root, "runs"), CacheDirectory = Path.Combine(_root, "cache") },
            Export = new ExportOptions { Onnx = true },
        };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<OnnxExportException>(() => Experiment.Run(options, new RunRequest { Output = TextWriter.Null }));
        Assert.Contains("`export { onnx true }` of variant `default`", e.Message);
        Assert.Contains("PlainModel", e.Message);
        Assert.Contains("IOnnxExportable", e.Message);
        // Nothing was trained (no cached teacher, no model file) and nothing exported.
        Assert.False(Directory.Exists(Path.Combine(_root, "cache")) && Directory.EnumerateFiles(Path.Combine(_root, "cache"), "*.safetensors", SearchOption.AllDirectories).Any());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "runs"), "*.safetensors", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "runs"), "*.onnx*", SearchOption.AllDirectories));
    }

    // metrics.jsonl without its wall-clock fields.
    private static List<string> Numbers(string runFolder) =>
        File.ReadLines(Path.Combine(runFolder, RunFolder.MetricsFileName)).Select(line =>
        {
            var fields = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line)!;
            foreach (var clock in new[] { "time", "elapsed_s", "epoch_s", "data_frac", "train (s)", "pretrain (s)" }) fields.Remove(clock);
            return string.Join(",", fields.Select(f => f.Key + "=" + f.Value.GetRawText()));
        }).ToList();

    // The unit's resolved settings as settings.json records them, with the unit's seed: computed here from the file.
    private static string ExpectedSettingsHash(string runFolder, int seed)
    {
        var variants = SettingsJson.Deserialize<List<ExperimentOptions>>(File.ReadAllText(Path.Combine(runFolder, RunFolder.SettingsFileName)))!;
        var unit = RunPlan.Replicates(variants.Single()).Single(u => u.Options.Run.Seed == seed);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SettingsJson.Serialize(unit.Options))));
    }

    private static (int Code, string Output, string Error) Host(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RecipeHost.Main(args, RecipeRegistry.All, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}

/// <summary>A user's student record whose model lacks the export mechanism.</summary>
public sealed record PlainStudentOptions : StudentOptions
{
    public override nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses) => new PlainModel(inChannels * 28 * 28, numClasses);

    private sealed class PlainModel : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear head;

        public PlainModel(int inputs, int classes) : base(nameof(PlainModel))
        {
            head = nn.Linear(inputs, classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => head.call(x.flatten(1));
    }
}
