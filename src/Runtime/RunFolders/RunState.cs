using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MiDistill.Runtime.RunFolders;

/// <summary>
/// What a run has finished, in checkpoints/state.json, rewritten atomically after every stage:
/// a resumed run skips finished stages and replays nothing twice. The file is
/// <c>{"format": 2, "sha256": "...", "state": {...}}</c>, the hash taken over the exact text of
/// <c>state</c>, so a damaged file is an error instead of a run that forgets or repeats work.
/// <typeparamref name="TResult"/> is what a finished unit records (the training layer's test
/// results); the file knows only that it is JSON.
/// </summary>
internal sealed class RunState<TResult>
{
    public const string FileName = "state.json";
    private const int CurrentFormat = 2;

    /// <summary>Finished stages, as "variant/seedN/stage".</summary>
    public List<string> Finished { get; set; } = new();
    /// <summary>Test results of finished replicates, by "variant/seedN".</summary>
    public Dictionary<string, TResult> Results { get; set; } = new();
    /// <summary>Cache entries (file names) whose pretraining this run began; "pretrain/&lt;entry&gt;" in <see cref="Finished"/> once their lines are in metrics.jsonl.</summary>
    public List<string> Pretraining { get; set; } = new();
    /// <summary>True once a replicate ran without a validation split (its last epochs were kept, not chosen).</summary>
    public bool WithoutValidation { get; set; }
    /// <summary>Length of metrics.jsonl when the last stage finished.</summary>
    public long MetricsBytes { get; set; }

    public static RunState<TResult> Load(string checkpoints)
    {
        var path = Path.Combine(checkpoints, FileName);
        if (!File.Exists(path)) return new RunState<TResult>();
        // Deleting state.json is always safe: the run then starts again from its beginning in place.
        const string advice = "delete it and resume to run the whole run again from its start, or start a new run";
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.Number || format.GetInt32() != CurrentFormat)
                throw new InvalidDataException($"{path}: the run state was written by another version of MiDistill (format {(root.TryGetProperty("format", out var f) ? f.GetRawText() : "missing")}, this one reads {CurrentFormat}); start a new run");
            if (!root.TryGetProperty("sha256", out var hash) || !root.TryGetProperty("state", out var body))
                throw new InvalidDataException($"{path}: the run state has no sha256 or state; {advice}");
            var text = body.GetRawText();
            if (!string.Equals(Hash(text), hash.GetString(), StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{path}: the run state is damaged (its contents do not match its checksum); {advice}");
            return JsonSerializer.Deserialize<RunState<TResult>>(text) ?? new RunState<TResult>();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the run state is unreadable ({e.Message}); {advice}", e);
        }
    }

    public void Save(string checkpoints)
    {
        var path = Path.Combine(checkpoints, FileName);
        var state = JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
        var text = $"{{\"format\": {CurrentFormat}, \"sha256\": \"{Hash(state)}\",\n\"state\": {state}}}\n";
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        using (var stream = File.Create(temporary))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        Checkpoints.TestSeams.BeforeRename?.Invoke(path);
        File.Move(temporary, path, overwrite: true);
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}
