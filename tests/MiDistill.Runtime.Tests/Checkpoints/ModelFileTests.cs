using System;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Checkpoints;

/// <summary>
/// Files MiDistill writes and reads back carry a checksum: model files (safetensors with PyTorch
/// names), stage checkpoints, the run state. A damaged one is an error naming it, never used.
/// </summary>
public sealed class ModelFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-modelfile-").FullName;

    static ModelFileTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static VisionTransformer Teacher(int classes)
    {
        torch.manual_seed(3);
        return TinyRecipe.Settings.Vanilla.Teacher.Model.Create(classes);
    }

    [Fact]
    public void The_cached_pretrained_teacher_is_a_safetensors_file_that_weights_checkpoint_loads()
    {
        new TinyRecipe().Run(new RunRequest
        {
            Variants = new[] { "vanilla" },
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
        });
        var cached = Assert.Single(Directory.GetFiles(Path.Combine(_root, "cache", "teachers"), "*.safetensors"));
        var metadata = Safetensors.ReadMetadata(cached);
        Assert.Equal("pt", metadata["format"]);
        Assert.Matches("^[0-9a-f]{64}$", metadata[Safetensors.ChecksumKey]);

        // What `weights checkpoint(path: ...)` does with it: timm's names, every tensor, values as saved.
        using var teacher = Teacher(5);
        var report = ModelCheckpoints.Load(teacher, cached);
        Assert.Empty(report.HeadSkipped);
        Assert.Equal(teacher.state_dict().Count, report.Loaded.Count);
        Assert.Contains("blocks.0.attn.qkv.weight", report.Loaded);
        var saved = Safetensors.Read(cached).ToDictionary(p => p.Name, p => p.Tensor);
        foreach (var (name, tensor) in teacher.state_dict())
            Assert.True(tensor.eq(saved[name]).all().item<bool>(), name);
        foreach (var t in saved.Values) t.Dispose();
    }

    [Fact]
    public void A_truncated_model_file_fails_naming_the_file_and_what_to_do()
    {
        var path = Path.Combine(_root, "remem-seed0-teacher.safetensors");
        using (var teacher = Teacher(5)) ModelFile.Save(teacher, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);

        using var fresh = Teacher(5);
        var e = Assert.Throws<CheckpointException>(() => ModelFile.Load(fresh, path, "start a new run"));
        Assert.StartsWith($"checkpoint '{path}': ", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.EndsWith("; start a new run", e.Message);
        // Through `weights checkpoint(...)` too.
        Assert.Contains(path, Assert.Throws<CheckpointException>(() => ModelCheckpoints.Load(fresh, path)).Message);
    }

    [Fact]
    public void A_bit_flipped_model_file_fails_its_checksum_instead_of_loading()
    {
        var path = Path.Combine(_root, "remem-seed0-student.safetensors");
        using (var teacher = Teacher(5)) ModelFile.Save(teacher, path);
        var bytes = File.ReadAllBytes(path);
        bytes[^7] ^= 0x10; // one bit of the last tensor's data
        File.WriteAllBytes(path, bytes);

        using var fresh = Teacher(5);
        using var before = fresh.state_dict()["head.weight"].clone();
        var e = Assert.Throws<CheckpointException>(() => ModelFile.Load(fresh, path, "start a new run"));
        Assert.Contains(path, e.Message);
        Assert.Contains("the file is damaged", e.Message);
        Assert.True(fresh.state_dict()["head.weight"].eq(before).all().item<bool>());
        Assert.Contains("the file is damaged", Assert.Throws<CheckpointException>(() => ModelCheckpoints.Load(fresh, path)).Message);
    }

    [Fact]
    public void A_model_file_from_elsewhere_is_not_taken_for_a_finished_stage()
    {
        var path = Path.Combine(_root, "foreign.safetensors");
        using (var teacher = Teacher(5)) Safetensors.Write(path, teacher.state_dict().Select(kv => (kv.Key, kv.Value)));
        // The same tensors as another program writes them: no __metadata__, so no checksum.
        var withoutChecksum = Path.Combine(_root, "plain.safetensors");
        WriteWithoutMetadata(path, withoutChecksum);
        using var fresh = Teacher(5);
        var e = Assert.Throws<CheckpointException>(() => ModelFile.Load(fresh, withoutChecksum, "start a new run"));
        Assert.Contains($"no {Safetensors.ChecksumKey} in its header", e.Message);
        ModelCheckpoints.Load(fresh, withoutChecksum); // a user's file without a checksum still loads as a checkpoint
    }

    [Fact]
    public void A_teacher_file_written_before_residual_scales_existed_still_loads()
    {
        // MiDistill 0.2.0 wrote ViT files without blocks.N.residual_scale (the all_blocks form came later).
        var path = Path.Combine(_root, "older.safetensors");
        using (var teacher = Teacher(5))
            Safetensors.Write(path, teacher.state_dict().Where(kv => !kv.Key.EndsWith(".residual_scale")).Select(kv => (kv.Key, kv.Value)));
        using var fresh = Teacher(5);
        fresh.SetResidualScales(Enumerable.Repeat(1.5, fresh.Depth).ToArray());
        ModelFile.Load(fresh, path, "start a new run");
        // The buffer the file lacks keeps the model's value: files of that version are loaded as they were meant.
        Assert.Equal(Enumerable.Repeat(1.5, fresh.Depth), fresh.ResidualScales);

        // Anything else missing is still an error naming the file.
        var lacking = Path.Combine(_root, "lacking.safetensors");
        using (var teacher = Teacher(5))
            Safetensors.Write(lacking, teacher.state_dict().Where(kv => !kv.Key.EndsWith(".mlp_alpha")).Select(kv => (kv.Key, kv.Value)));
        var e = Assert.Throws<CheckpointException>(() => ModelFile.Load(fresh, lacking, "start a new run"));
        Assert.Contains(lacking, e.Message);
        Assert.Contains("blocks.0.mlp_alpha", e.Message);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    public void A_damaged_stage_checkpoint_fails_naming_the_file_and_saying_to_delete_it(string damage)
    {
        torch.manual_seed(0);
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2));
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var path = Path.Combine(_root, "remem-seed0-finetune.ckpt");
        var progress = new TrainerProgress
        {
            Stage = "finetune", Variant = "remem", Epoch = 1, NextBatch = 0, GlobalStep = 4, LossSum = 0, Correct = 0, Seen = 0,
            BestAccuracy = double.NegativeInfinity, BestEpoch = 1, HasBest = false, Lines = Array.Empty<string>(),
        };
        TrainerCheckpoint.Save(path, progress, model, optimizer, null);
        TrainerCheckpoint.Load(path, model, optimizer);
        var bytes = File.ReadAllBytes(path);
        if (damage == "truncated") bytes = bytes[..^50];
        else bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidDataException>(() => TrainerCheckpoint.Load(path, model, optimizer));
        Assert.StartsWith($"{path}: the checkpoint is unreadable (", e.Message);
        Assert.Contains(damage == "truncated" ? "truncated" : "damaged", e.Message);
        Assert.EndsWith("delete it to restart this stage from its beginning", e.Message);
    }

    [Fact]
    public void A_damaged_run_state_fails_naming_the_file()
    {
        var state = new RunState<VariantResult> { MetricsBytes = 1234 };
        state.Finished.Add("remem/seed0/finetune");
        state.Save(_root);
        Assert.Equal(1234, RunState<VariantResult>.Load(_root).MetricsBytes);

        var path = Path.Combine(_root, RunState<VariantResult>.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("1234", "1235"));
        var e = Assert.Throws<InvalidDataException>(() => RunState<VariantResult>.Load(_root));
        Assert.StartsWith($"{path}: the run state is damaged", e.Message);
        Assert.Contains("delete it and resume", e.Message);

        File.WriteAllText(path, File.ReadAllText(path)[..40]);
        Assert.StartsWith($"{path}: the run state is unreadable", Assert.Throws<InvalidDataException>(() => RunState<VariantResult>.Load(_root)).Message);
    }

    private static void WriteWithoutMetadata(string from, string to)
    {
        var tensors = Safetensors.Read(from);
        var entries = Safetensors.ReadHeader(from);
        var header = "{" + string.Join(",", entries.Select(e =>
            $"\"{e.Name}\":{{\"dtype\":\"{e.DType}\",\"shape\":[{string.Join(",", e.Shape)}],\"data_offsets\":[{e.Begin},{e.End}]}}")) + "}";
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        using var stream = File.Create(to);
        stream.Write(BitConverter.GetBytes((ulong)json.Length));
        stream.Write(json);
        foreach (var (_, t) in tensors) { stream.Write(t.bytes); t.Dispose(); }
    }
}
