using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace MiDistill.Runtime.Training;

/// <summary>
/// What a run has finished, in checkpoints/state.json, rewritten atomically after every stage:
/// a resumed run skips finished stages and replays nothing twice.
/// </summary>
internal sealed class RunState
{
    public const string FileName = "state.json";

    public int Format { get; set; } = 1;
    /// <summary>Finished stages, as "variant/seedN/stage".</summary>
    public List<string> Finished { get; set; } = new();
    /// <summary>Test results of finished replicates, by "variant/seedN".</summary>
    public Dictionary<string, VariantResult> Results { get; set; } = new();
    /// <summary>Length of metrics.jsonl when the last stage finished.</summary>
    public long MetricsBytes { get; set; }

    public static RunState Load(string checkpoints)
    {
        var path = Path.Combine(checkpoints, FileName);
        if (!File.Exists(path)) return new RunState();
        try
        {
            return JsonSerializer.Deserialize<RunState>(File.ReadAllText(path)) ?? new RunState();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the run state is unreadable ({e.Message})", e);
        }
    }

    public void Save(string checkpoints)
    {
        var path = Path.Combine(checkpoints, FileName);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
