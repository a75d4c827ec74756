using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>
/// A state dict read from disk: <c>.safetensors</c>, or a zip-format <c>torch.save</c> state dict
/// (<c>.pth</c>, <c>.pt</c>, <c>.bin</c>). The kind is told by the file's first bytes, not its name.
/// </summary>
public static class StateDictFile
{
    /// <summary>Tensors by name, on the CPU, in the file's order and dtypes. The caller owns them.</summary>
    public static IReadOnlyList<(string Name, Tensor Tensor)> Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "file not found");
        if (IsZip(path)) return ReadPickle(path);
        return Safetensors.Read(path);
    }

    private static bool IsZip(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return stream.Read(magic) == 4 && magic[0] == (byte)'P' && magic[1] == (byte)'K' && magic[2] == 3 && magic[3] == 4;
    }

    private static IReadOnlyList<(string, Tensor)> ReadPickle(string path)
    {
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException(path, $"not a readable PyTorch state dict ({e.GetType().Name}: {e.Message}); save it with torch.save(model.state_dict(), path) or as .safetensors", e);
        }
        var result = new List<(string, Tensor)>(table.Count);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Value is not Tensor t)
            {
                foreach (var (_, owned) in result) owned.Dispose();
                throw new CheckpointException(path, $"entry '{entry.Key}' is a {entry.Value?.GetType().Name ?? "null"}, not a tensor; expected a flat state dict (torch.save(model.state_dict(), path))");
            }
            result.Add(((string)entry.Key, t.DetachFromDisposeScope()));
        }
        return result;
    }
}
