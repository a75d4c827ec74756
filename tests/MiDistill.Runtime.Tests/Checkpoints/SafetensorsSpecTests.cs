using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using MiDistill.Recipes;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using TorchSharp;

namespace MiDistill.Runtime.Tests.Checkpoints;

/// <summary>
/// The model files MiDistill writes (cached teacher, fine-tuned teacher, student) are safetensors files
/// by the format's specification, read by readers that share no code with MiDistill (one in C#,
/// <see cref="SafetensorsSpec"/>, one with Python's standard library), and their checksum is the one
/// the docs define, recomputed by both. Loading them into PyTorch itself is not tested (Debian has no
/// python3-safetensors); what a PyTorch module would make of the names is checked against a file
/// PyTorch wrote for the same architecture.
/// </summary>
public sealed class SafetensorsSpecTests : IDisposable
{
    /// <summary>Debian's interpreter; test.sh installs it (scripts/ensure-python.sh) when missing.</summary>
    private const string Python = "/usr/bin/python3";

    private readonly string _root = Directory.CreateTempSubdirectory("midistill-spec-").FullName;

    static SafetensorsSpecTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Every_model_file_of_a_run_follows_the_safetensors_spec_and_carries_the_documented_checksum()
    {
        var report = new KillableRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
        });
        var files = Directory.GetFiles(Path.Combine(report.RunFolder, "checkpoints"), "*.safetensors")
            .Concat(Directory.GetFiles(Path.Combine(_root, "cache", "teachers"), "*.safetensors")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, files.Length); // the run's teacher and student, the cached pretrained teacher

        var python = ReadWithPython(files);
        foreach (var path in files)
        {
            var file = SafetensorsSpec.Read(path);
            Assert.True(file.Tensors.Count > 0, path);
            Assert.Equal("pt", file.Metadata["format"]);
            var recomputed = file.DocumentedChecksum();
            Assert.True(recomputed == file.Metadata[Safetensors.ChecksumKey],
                $"{path}: the checksum recomputed as docs/training.md defines it ({recomputed}) is not the header's {Safetensors.ChecksumKey} ({file.Metadata[Safetensors.ChecksumKey]})");
            // MiDistill pads the header so that the buffer starts 8-byte aligned, as the format recommends.
            Assert.Equal(0, (8 + file.HeaderLength) % 8);

            // Python's reading of the same file: the same tensors, metadata, checksum and values.
            var py = python[path];
            Assert.Equal(file.Tensors.Select(t => $"{t.Name} {t.DType} [{string.Join(",", t.Shape)}]"),
                py.GetProperty("tensors").EnumerateArray().Select(t => $"{t[0].GetString()} {t[1].GetString()} [{string.Join(",", t[2].EnumerateArray().Select(d => d.GetInt64()))}]"));
            Assert.Equal(file.Metadata[Safetensors.ChecksumKey], py.GetProperty("sha256").GetString());
            Assert.Equal(file.Metadata.OrderBy(m => m.Key), py.GetProperty("metadata").EnumerateObject().Select(m => new KeyValuePair<string, string>(m.Name, m.Value.GetString()!)).OrderBy(m => m.Key));
            foreach (var first in py.GetProperty("first").EnumerateObject())
                Assert.Equal(file.Floats(first.Name)[0], first.Value.GetSingle());
        }

        // The bytes are the model's values: the student as MiDistill loads it, tensor for tensor.
        var studentFile = files.Single(f => f.EndsWith("-student.safetensors", StringComparison.Ordinal));
        using var student = KillableRecipe.Settings.Default.Distill.Student.Create(1, 5);
        ModelFile.Load(student, studentFile, "start a new run");
        var spec = SafetensorsSpec.Read(studentFile);
        foreach (var (name, tensor) in student.state_dict().Where(kv => kv.Value.dtype == torch.ScalarType.Float32))
            Assert.Equal(tensor.data<float>().ToArray(), spec.Floats(name));
    }

    [Fact]
    public void A_saved_ViT_has_every_name_dtype_and_shape_PyTorch_wrote_for_the_same_architecture_plus_its_reweighting_buffers()
    {
        // The PyTorch-made fixture (tools/reference/make_fixtures.py: a timm-layout ViT in plain PyTorch) and
        // MiDistill's ViT of the same architecture, saved as a model file.
        var pytorch = SafetensorsSpec.Read(Fixtures.PathOf("vit_micro.safetensors"));
        var options = new VitOptions { Name = "vit_micro", ImageSize = 32, PatchSize = 8, InChannels = 3, EmbedDim = 48, Depth = 3, Heads = 3, MlpRatio = 4 };
        var path = Path.Combine(_root, "vit.safetensors");
        using (var model = options.Create(10)) ModelFile.Save(model, path);
        var saved = SafetensorsSpec.Read(path);

        static string Row(SafetensorsSpec.Tensor t) => $"{t.Name} {t.DType} [{string.Join(",", t.Shape)}]";
        var ours = saved.Tensors.Select(Row).ToList();
        Assert.Equal(pytorch.Tensors.Select(Row), ours.Where(r => pytorch.Tensors.Any(t => Row(t) == r)));
        Assert.Empty(pytorch.Tensors.Select(Row).Except(ours));
        // What a timm ViT's load_state_dict(strict=True) would call unexpected keys: the ReMem
        // reweighting buffers, one pair per block (docs/training.md says so).
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(b => new[] { $"blocks.{b}.mlp_alpha F32 [1]", $"blocks.{b}.residual_scale F32 [1]" }).Order(StringComparer.Ordinal),
            ours.Except(pytorch.Tensors.Select(Row)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_independent_readers_reject_what_the_spec_forbids()
    {
        var good = Path.Combine(_root, "good.safetensors");
        using (var model = new SmallCnn(4, 1, 3)) ModelFile.Save(model, good);
        var bytes = File.ReadAllBytes(good);
        var header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0));

        // A hole: one tensor's data_offsets moved past the buffer's end (same header length).
        var broken = Path.Combine(_root, "hole.safetensors");
        var first = SafetensorsSpec.Read(good).Tensors[0];
        var moved = header.Replace($"\"data_offsets\":[{first.Begin},{first.End}]", $"\"data_offsets\":[{first.Begin + 4},{first.End + 4}]");
        Assert.NotEqual(header, moved);
        var rewritten = bytes.ToArray();
        System.Text.Encoding.UTF8.GetBytes(moved).CopyTo(rewritten, 8);
        File.WriteAllBytes(broken, rewritten);
        Assert.Contains("a hole or an overlap", Assert.Throws<InvalidDataException>(() => SafetensorsSpec.Read(broken)).Message);
        var (code, _, error) = RunPython(broken);
        Assert.Equal(1, code);
        Assert.Contains(broken, error);

        // One flipped data byte: still a valid file, but the recomputed checksum no longer matches its header's.
        var flipped = Path.Combine(_root, "flipped.safetensors");
        var damaged = bytes.ToArray();
        damaged[^3] ^= 0x40;
        File.WriteAllBytes(flipped, damaged);
        var spec = SafetensorsSpec.Read(flipped);
        Assert.NotEqual(spec.Metadata[Safetensors.ChecksumKey], spec.DocumentedChecksum());
        Assert.NotEqual(spec.Metadata[Safetensors.ChecksumKey], ReadWithPython(new[] { flipped })[flipped].GetProperty("sha256").GetString());
    }

    private static Dictionary<string, JsonElement> ReadWithPython(IReadOnlyList<string> files)
    {
        var (code, output, error) = RunPython(files.ToArray());
        Assert.True(code == 0, $"{Python} could not read the files ({code}):\n{error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToDictionary(e => e.GetProperty("path").GetString()!);
    }

    private static (int Code, string Output, string Error) RunPython(params string[] files)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: this test reads model files with Python's standard library; install Debian's python3 (./test.sh does, scripts/ensure-python.sh)");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Checkpoints", "read_safetensors.py"));
        foreach (var f in files) start.ArgumentList.Add(f);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "the Python reader did not end within a minute");
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
