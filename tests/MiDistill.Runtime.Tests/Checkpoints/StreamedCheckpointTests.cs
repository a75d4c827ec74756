using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Checkpoints;

/// <summary>
/// Stage checkpoints and model files go to and from their file in pieces, through their checksum:
/// no buffer of the whole payload (a byte[] holds at most 2 GB, and a ViT-L fine-tune's checkpoint
/// is larger), and the files are those MiDistill wrote before, byte for byte.
/// </summary>
public sealed class StreamedCheckpointTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-streamed-").FullName;

    static StreamedCheckpointTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static TrainerProgress Progress() => new()
    {
        Stage = "finetune",
        Variant = "v",
        Epoch = 1,
        NextBatch = 3,
        GlobalStep = 7,
        LossSum = 1.5,
        Correct = 4,
        Seen = 12,
        BestAccuracy = 0.25,
        BestEpoch = 1,
        HasBest = true,
        Lines = new[] { "{\"epoch\":1}" },
    };

    /// <summary>A model and SGD with momentum after one step, so the optimizer has state to save.</summary>
    private static (nn.Module<Tensor, Tensor> Model, optim.Optimizer Optimizer) Trained(int inputs, int outputs, int seed)
    {
        torch.manual_seed(seed);
        var model = nn.Sequential(nn.Linear(inputs, outputs));
        var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        model.call(randn(2, inputs)).square().mean().backward();
        optimizer.step();
        return (model, optimizer);
    }

    /// <summary>The writer MiDistill used before checkpoints were streamed: the whole payload in one MemoryStream, then the trailer.</summary>
    private static void SaveBuffered(string path, TrainerProgress progress, nn.Module model, optim.Optimizer optimizer, IReadOnlyDictionary<string, Tensor>? best)
    {
        var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write("MIDISTILL-TRAINER-CHECKPOINT-2");
            writer.Write(JsonSerializer.Serialize(progress, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            model.save(writer);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
            writer.Write(best?.Count ?? 0);
            if (best is not null)
                foreach (var (name, tensor) in best) { writer.Write(name); tensor.Save(writer); }
            using var rng = torch.random.get_rng_state();
            rng.Save(writer);
        }
        using var stream = File.Create(path);
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        stream.Write(bytes);
        stream.Write(BitConverter.GetBytes(payload.Length));
        stream.Write(SHA256.HashData(bytes));
    }

    [Fact]
    public void The_streamed_checkpoint_is_the_file_the_buffered_writer_wrote_and_such_files_still_load()
    {
        var (model, optimizer) = Trained(5, 3, seed: 1);
        using var _ = model;
        using var __ = optimizer;
        var best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var before = Path.Combine(_root, "buffered.ckpt");
        var now = Path.Combine(_root, "streamed.ckpt");
        var rng = torch.random.get_rng_state();
        SaveBuffered(before, Progress(), model, optimizer, best);
        torch.random.set_rng_state(rng);
        TrainerCheckpoint.Save(now, Progress(), model, optimizer, best);
        Assert.Equal(File.ReadAllBytes(before), File.ReadAllBytes(now));

        // A file of the old writer loads into a fresh model and optimizer, weights, momentum, best and RNG included.
        var (fresh, freshOptimizer) = Trained(5, 3, seed: 2);
        using var ___ = fresh;
        using var ____ = freshOptimizer;
        torch.random.manual_seed(99);
        var (progress, loadedBest) = TrainerCheckpoint.Load(before, fresh, freshOptimizer);
        Assert.Equal(Progress().Lines, progress.Lines);
        Assert.Equal((1, 3, 7L, 0.25), (progress.Epoch, progress.NextBatch, progress.GlobalStep, progress.BestAccuracy));
        foreach (var ((name, a), (_, b)) in fresh.state_dict().Zip(model.state_dict()))
            Assert.True(a.eq(b).all().item<bool>(), name);
        Assert.True(loadedBest!["0.weight"].eq(best["0.weight"]).all().item<bool>());
        Assert.True(torch.random.get_rng_state().eq(rng).all().item<bool>());
        var momentum = ((TorchSharp.Modules.OptimizerHelper)freshOptimizer).state_dict().State.Cast<TorchSharp.Modules.SGD.State>().Select(s => s.momentum_buffer!).ToArray();
        var expected = ((TorchSharp.Modules.OptimizerHelper)optimizer).state_dict().State.Cast<TorchSharp.Modules.SGD.State>().Select(s => s.momentum_buffer!).ToArray();
        Assert.Equal(expected.Length, momentum.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(momentum[i].eq(expected[i]).all().item<bool>());
        foreach (var t in best.Values.Concat(loadedBest.Values)) t.Dispose();
    }

    [Fact]
    public void Python_reads_the_checkpoint_trailer_as_the_payload_length_and_its_sha256()
    {
        var (model, optimizer) = Trained(7, 2, seed: 3);
        using var _ = model;
        using var __ = optimizer;
        var path = Path.Combine(_root, "stage.ckpt");
        TrainerCheckpoint.Save(path, Progress(), model, optimizer, null);
        const string Script = """
            import hashlib, struct, sys
            data = open(sys.argv[1], "rb").read()
            payload, trailer = data[:-40], data[-40:]
            (length,) = struct.unpack("<q", trailer[:8])
            print(length == len(payload), trailer[8:] == hashlib.sha256(payload).digest(), len(payload))
            """;
        Assert.True(File.Exists(Python), $"{Python} is missing (./test.sh installs it, scripts/ensure-python.sh)");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal($"True True {new FileInfo(path).Length - 40}", output);
    }

    [Fact]
    public void Saving_and_loading_allocate_far_less_than_the_checkpoint_holds()
    {
        // 2048 x 4096 weights and their momentum: a 67 MB payload.
        var (model, optimizer) = Trained(2048, 4096, seed: 4);
        using var _ = model;
        using var __ = optimizer;
        var path = Path.Combine(_root, "large.ckpt");
        long start = GC.GetAllocatedBytesForCurrentThread();
        TrainerCheckpoint.Save(path, Progress(), model, optimizer, null);
        long saving = GC.GetAllocatedBytesForCurrentThread() - start;
        Assert.True(new FileInfo(path).Length > 64L << 20);

        start = GC.GetAllocatedBytesForCurrentThread();
        TrainerCheckpoint.Load(path, model, optimizer);
        long loading = GC.GetAllocatedBytesForCurrentThread() - start;
        Assert.True(saving < 8L << 20, $"saving a {new FileInfo(path).Length >> 20} MB checkpoint allocated {saving >> 20} MB");
        Assert.True(loading < 8L << 20, $"loading a {new FileInfo(path).Length >> 20} MB checkpoint allocated {loading >> 20} MB");

        // Model files too: written and read tensor by tensor, never as one byte[] per tensor.
        var file = Path.Combine(_root, "large.safetensors");
        start = GC.GetAllocatedBytesForCurrentThread();
        ModelFile.Save(model, file);
        long writing = GC.GetAllocatedBytesForCurrentThread() - start;
        start = GC.GetAllocatedBytesForCurrentThread();
        var read = Safetensors.Read(file);
        long reading = GC.GetAllocatedBytesForCurrentThread() - start;
        Assert.True(writing < 8L << 20, $"writing a {new FileInfo(file).Length >> 20} MB model file allocated {writing >> 20} MB");
        Assert.True(reading < 8L << 20, $"reading a {new FileInfo(file).Length >> 20} MB model file allocated {reading >> 20} MB");
        Assert.True(read.Single(r => r.Name == "0.weight").Tensor.eq(model.state_dict()["0.weight"]).all().item<bool>());
        foreach (var (_, t) in read) t.Dispose();
    }
}
