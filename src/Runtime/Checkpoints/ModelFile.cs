using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>
/// Model weights MiDistill writes and reads back (the cached pretrained teacher, fine-tuned
/// teachers, students, kept epochs): safetensors with the model's state_dict names, which are
/// PyTorch's, and a checksum in the header, so a user can load them with
/// <c>weights checkpoint(path: ...)</c> or read them with any safetensors reader, and a damaged file
/// is never used.
/// </summary>
public static class ModelFile
{
    public const string Extension = ".safetensors";

    /// <summary>
    /// Writes to a temporary name of this process's own, flushed to disk, then renames: a kill at any
    /// moment leaves the old file or the new one, never half of one.
    /// </summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            Safetensors.Write(temporary, module.state_dict().Select(kv => (kv.Key, kv.Value)), metadata);
            TestSeams.BeforeRename?.Invoke(path);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Loads a file <see cref="Save"/> wrote into <paramref name="module"/>, key for key: its
    /// checksum must be there and match. <paramref name="whatToDo"/> ends every error message.
    /// </summary>
    public static void Load(nn.Module module, string path, string whatToDo)
    {
        ArgumentNullException.ThrowIfNull(module);
        try
        {
            if (!File.Exists(path)) throw new CheckpointException(path, "file not found");
            if (!Safetensors.ReadMetadata(path).ContainsKey(Safetensors.ChecksumKey))
                throw new CheckpointException(path, $"not a model file written by this MiDistill (no {Safetensors.ChecksumKey} in its header)");
            // Key for key, except what this version added to the model since older files were written.
            var addedLater = ModelCheckpoints.RulesFor(module).AddedLater;
            CheckpointLoader.Load(module, path, addedLater is null ? LoadRules.Strict : LoadRules.Strict with { MayBeMissing = addedLater });
        }
        catch (CheckpointException e)
        {
            throw new CheckpointException(path, e.Problem + "; " + whatToDo, e);
        }
    }
}
