using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using MiDistill.Runtime.Checkpoints;
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
/// file is an error naming it, never a half-restored stage. Streamed to and from the file (no
/// size limit), written to a temporary file and renamed, so a kill at any moment leaves either the
/// previous checkpoint or the new one. The layout is the one MiDistill has written since
/// <c>MIDISTILL-TRAINER-CHECKPOINT-2</c>; files written before the streaming writer load unchanged.
/// </summary>
internal static class TrainerCheckpoint
{
    private const string Magic = "MIDISTILL-TRAINER-CHECKPOINT-2";
    private const int TrailerBytes = 8 + 32;
    private const int BufferBytes = 1 << 20;
    // The best accuracy starts at -infinity, which plain JSON cannot hold.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Save(string path, TrainerProgress progress, nn.Module model, optim.Optimizer optimizer, IReadOnlyDictionary<string, Tensor>? best)
    {
        // A name of this process's own: two runs sharing a cache must not write one temporary file.
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            // Streamed to the file through the checksum, tensor by tensor: no buffer of the whole
            // payload, so a checkpoint of any size (a ViT-L with AdamW and its best snapshot) is written.
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, BufferBytes))
            {
                long length;
                byte[] hash;
                using (var payload = new HashingStream(file))
                {
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
                    (length, hash) = (payload.Written, payload.Hash());
                }
                file.Write(BitConverter.GetBytes(length));
                file.Write(hash);
                file.Flush(flushToDisk: true);
            }
            Checkpoints.TestSeams.BeforeRename?.Invoke(path);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Restores model and optimizer in place; returns the progress and the best snapshot (owned by the caller).</summary>
    public static (TrainerProgress Progress, Dictionary<string, Tensor>? Best) Load(string path, nn.Module model, optim.Optimizer optimizer)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes);
            long length = Verify(file);
            file.Position = 0;
            // Read from the file as it goes, within the payload the checksum covers.
            using var payload = new PrefixStream(file, length);
            using var reader = new BinaryReader(payload, Encoding.UTF8);
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
                best![name] = ReadCpuTensor(reader).DetachFromDisposeScope();
            }
            using var rng = ReadCpuTensor(reader);
            torch.random.set_rng_state(rng);
            if (payload.Remaining != 0)
                throw new InvalidDataException($"{payload.Remaining} bytes of its payload are left over after the RNG state (not written by this MiDistill version?)");
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

    /// <summary>
    /// A tensor <c>Tensor.Save</c> wrote (dtype, rank and dimensions as unsigned LEB128, then the
    /// raw bytes), made on the CPU. Not <c>TensorExtensionMethods.Load(reader)</c>, which makes it on
    /// the default device: the best snapshot is kept on the CPU, and a generator state elsewhere takes
    /// the process down (LibTorch's <c>set_state</c> throws through TorchSharp uncaught).
    /// </summary>
    private static Tensor ReadCpuTensor(BinaryReader reader)
    {
        var dtype = (ScalarType)reader.Read7BitEncodedInt64();
        var shape = new long[reader.Read7BitEncodedInt64()];
        for (int i = 0; i < shape.Length; i++) shape[i] = reader.Read7BitEncodedInt64();
        var tensor = torch.empty(shape, dtype, device: CPU);
        try
        {
            if (tensor.numel() > 0) tensor.ReadBytesFromStream(reader.BaseStream);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The payload's length, once the trailer's length and SHA-256 match the file's bytes, read in
    /// chunks (the file is read twice, so that nothing is restored from a damaged one).
    /// </summary>
    private static long Verify(FileStream file)
    {
        long size = file.Length;
        if (size < TrailerBytes)
            throw new InvalidDataException($"the file has {size} bytes, fewer than its {TrailerBytes}-byte trailer (truncated)");
        long payload = size - TrailerBytes;
        var trailer = new byte[TrailerBytes];
        file.Position = payload;
        file.ReadExactly(trailer);
        long recorded = BitConverter.ToInt64(trailer, 0);
        if (recorded != payload)
            throw new InvalidDataException($"the file holds {payload} bytes before its trailer, but was written with {recorded} (truncated or damaged)");
        file.Position = 0;
        if (!HashingStream.Of(file, payload).AsSpan().SequenceEqual(trailer.AsSpan(8)))
            throw new InvalidDataException("its contents do not match the checksum it was written with (the file is damaged)");
        return payload;
    }

    // A wrapping optimizer (SAM) keeps no state of its own between steps; the one it wraps holds the moments.
    private static OptimizerHelper OptimizerState(optim.Optimizer optimizer) => optimizer switch
    {
        IWrappingOptimizer wrapping => OptimizerState(wrapping.Inner),
        OptimizerHelper helper => helper,
        _ => throw new NotSupportedException($"cannot checkpoint optimizer {optimizer.GetType().Name}"),
    };
}
