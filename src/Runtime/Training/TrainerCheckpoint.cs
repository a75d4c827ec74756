using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MiDistill.Runtime.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>Where a stage's loop stands: enough to continue it and end exactly as if never stopped.</summary>
internal sealed record TrainerProgress
{
    public required string Stage { get; init; }
    public required string Variant { get; init; }
    /// <summary>The epoch in progress (0-based) and the next batch of it to run.</summary>
    public required int Epoch { get; init; }
    public required int NextBatch { get; init; }
    public required long GlobalStep { get; init; }
    public required double LossSum { get; init; }
    public required long Correct { get; init; }
    public required long Seen { get; init; }
    public required double BestAccuracy { get; init; }
    public required int BestEpoch { get; init; }
    public required bool HasBest { get; init; }
    /// <summary>
    /// The metrics.jsonl lines of the stage's finished epochs, as written: a resumed stage writes
    /// them again before it continues, so its lines are complete even when the checkpoint came from
    /// another run (pretraining checkpoints live in the shared cache) or a killed process.
    /// </summary>
    public required string[] Lines { get; init; }
}

/// <summary>
/// A stage checkpoint in one file: a JSON header (progress), then model, optimizer, the
/// best-so-far snapshot and the torch RNG state, then a trailer of the payload's length (8 bytes,
/// little-endian) and SHA-256 (32 bytes), checked before anything is read: a truncated or damaged
/// file is an error naming it, never a half-restored stage. Written to a temporary file and
/// renamed, so a kill at any moment leaves either the previous checkpoint or the new one.
/// </summary>
internal static class TrainerCheckpoint
{
    private const string Magic = "MIDISTILL-TRAINER-CHECKPOINT-2";
    private const int TrailerBytes = 8 + 32;
    // The best accuracy starts at -infinity, which plain JSON cannot hold.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Save(string path, TrainerProgress progress, nn.Module model, optim.Optimizer optimizer, IReadOnlyDictionary<string, Tensor>? best)
    {
        // A name of this process's own: two runs sharing a cache must not write one temporary file.
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(progress, Json));
            model.save(writer);
            OptimizerState(optimizer).save_state_dict(writer);
            writer.Write(best?.Count ?? 0);
            if (best is not null)
                foreach (var (name, tensor) in best)
                {
                    writer.Write(name);
                    tensor.Save(writer);
                }
            using var rng = torch.random.get_rng_state();
            rng.Save(writer);
        }
        using (var stream = File.Create(temporary))
        {
            var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
            stream.Write(bytes);
            stream.Write(BitConverter.GetBytes(payload.Length));
            stream.Write(SHA256.HashData(bytes));
            stream.Flush(flushToDisk: true);
        }
        Checkpoints.TestSeams.BeforeRename?.Invoke(path);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Restores model and optimizer in place; returns the progress and the best snapshot (owned by the caller).</summary>
    public static (TrainerProgress Progress, Dictionary<string, Tensor>? Best) Load(string path, nn.Module model, optim.Optimizer optimizer)
    {
        try
        {
            using var stream = new MemoryStream(Verified(File.ReadAllBytes(path)), writable: false);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (reader.ReadString() != Magic) throw new InvalidDataException("not a trainer checkpoint of this MiDistill version (wrong magic)");
            var progress = JsonSerializer.Deserialize<TrainerProgress>(reader.ReadString(), Json)
                ?? throw new InvalidDataException("empty progress header");
            LoadInPlace(reader, model);
            OptimizerState(optimizer).load_state_dict(reader);
            int count = reader.ReadInt32();
            Dictionary<string, Tensor>? best = count == 0 ? null : new Dictionary<string, Tensor>(count);
            for (int i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                best![name] = TensorExtensionMethods.Load(reader).DetachFromDisposeScope();
            }
            using var rng = TensorExtensionMethods.Load(reader);
            torch.random.set_rng_state(rng);
            return (progress, best);
        }
        // InvalidOperationException is what TorchSharp throws at a disposed tensor ("Tensor invalid --
        // empty handle"): should a future load replace a parameter the optimizer holds again, the
        // resume fails as a checkpoint problem naming the file, not as a crash inside the optimizer.
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or JsonException or ArgumentException or IOException
            or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: the checkpoint is unreadable ({e.Message}); delete it to restart this stage from its beginning", e);
        }
    }

    /// <summary>
    /// Reads what <c>Module.save</c> wrote (the entry count as unsigned LEB128, then each name and
    /// tensor) into the model's own parameters and buffers, in place, on whatever device they live.
    /// Not <c>Module.load</c>: on a non-CPU module that moves the module to the CPU and back, which
    /// replaces every parameter and disposes the old ones, the very objects the optimizer and SAM hold
    /// (TorchSharp src/TorchSharp/NN/Module.cs, <c>load</c>); a resumed stage on CUDA then crashed at
    /// its first step. <c>Tensor.Load</c> copies through a CPU temporary under no_grad.
    /// </summary>
    private static void LoadInPlace(BinaryReader reader, nn.Module model)
    {
        var tensors = model.state_dict();
        long count = reader.Read7BitEncodedInt64();
        if (count != tensors.Count)
            throw new InvalidDataException($"it holds {count} model tensors, but the model has {tensors.Count} (a checkpoint of another architecture?)");
        for (long i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            if (!tensors.TryGetValue(name, out var tensor))
                throw new InvalidDataException($"it holds model tensor '{name}', which the model does not have (a checkpoint of another architecture?)");
            try
            {
                tensor.Load(reader);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"model tensor '{name}': {e.Message}", e);
            }
        }
    }

    /// <summary>The payload of a checkpoint file, once its length and SHA-256 match the trailer.</summary>
    private static byte[] Verified(byte[] file)
    {
        if (file.Length < TrailerBytes)
            throw new InvalidDataException($"the file has {file.Length} bytes, fewer than its {TrailerBytes}-byte trailer (truncated)");
        long recorded = BitConverter.ToInt64(file, file.Length - TrailerBytes);
        long payload = file.Length - TrailerBytes;
        if (recorded != payload)
            throw new InvalidDataException($"the file holds {payload} bytes before its trailer, but was written with {recorded} (truncated or damaged)");
        var hash = SHA256.HashData(file.AsSpan(0, (int)payload));
        if (!hash.AsSpan().SequenceEqual(file.AsSpan((int)payload + 8, 32)))
            throw new InvalidDataException("its contents do not match the checksum it was written with (the file is damaged)");
        return file.AsSpan(0, (int)payload).ToArray();
    }

    // A wrapping optimizer (SAM) keeps no state of its own between steps; the one it wraps holds the moments.
    private static OptimizerHelper OptimizerState(optim.Optimizer optimizer) => optimizer switch
    {
        IWrappingOptimizer wrapping => OptimizerState(wrapping.Inner),
        OptimizerHelper helper => helper,
        _ => throw new NotSupportedException($"cannot checkpoint optimizer {optimizer.GetType().Name}"),
    };
}
