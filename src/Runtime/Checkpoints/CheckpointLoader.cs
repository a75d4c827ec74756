using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>What a model may tolerate when it takes weights from a checkpoint made elsewhere.</summary>
public sealed record LoadRules
{
    /// <summary>Keys of the classifier: replaced by the model's fresh head when the class count differs.</summary>
    public required Func<string, bool> IsHead { get; init; }

    /// <summary>Keys the checkpoint may lack; the model's own values stay (e.g. <c>mlp_alpha</c>, set to 1).</summary>
    public required Func<string, bool> MayBeMissing { get; init; }

    /// <summary>
    /// Fits a checkpoint tensor of another shape to the model's (e.g. position-embedding
    /// resampling); returns null when it cannot, which is then a shape error.
    /// </summary>
    public Func<string, Tensor, long[], Tensor?>? Adapt { get; init; }

    /// <summary>
    /// Keys an older MiDistill did not write yet (e.g. <c>residual_scale</c>, 0.3): its own model
    /// files may lack them, and the model's own value, which leaves the model as it was, stays.
    /// </summary>
    public Func<string, bool>? AddedLater { get; init; }

    /// <summary>Nothing tolerated: the checkpoint must match key for key and shape for shape.</summary>
    public static LoadRules Strict { get; } = new() { IsHead = _ => false, MayBeMissing = _ => false };
}

/// <summary>What a load did, for the run log.</summary>
public sealed record LoadReport(
    string Path,
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> HeadSkipped,
    IReadOnlyList<string> KeptMissing,
    IReadOnlyList<string> Adapted)
{
    public string Summary()
    {
        var parts = new List<string> { $"loaded {Loaded.Count} tensors from {Path}" };
        if (HeadSkipped.Count > 0) parts.Add($"checkpoint head skipped ({string.Join(", ", HeadSkipped)}), new head initialised");
        if (Adapted.Count > 0) parts.Add($"adapted {string.Join("; ", Adapted)}");
        if (KeptMissing.Count > 0) parts.Add($"not in the checkpoint, kept as initialised: {CheckpointLoader.Abbreviate(KeptMissing)}");
        return string.Join("; ", parts);
    }
}

/// <summary>
/// Loads a state dict into a model by parameter name. Everything is checked first (keys, shapes,
/// dtypes) and the model is changed only when all of it fits, so a failed load leaves the model
/// exactly as it was.
/// </summary>
public static class CheckpointLoader
{
    public static LoadReport Load(nn.Module model, string path, LoadRules rules)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rules);
        var file = StateDictFile.Read(path);
        var owned = new List<Tensor>(file.Select(f => f.Tensor));
        try
        {
            return Apply(model, path, file, rules, owned);
        }
        finally
        {
            foreach (var t in owned) t.Dispose();
        }
    }

    private static LoadReport Apply(nn.Module model, string path, IReadOnlyList<(string Name, Tensor Tensor)> file, LoadRules rules, List<Tensor> owned)
    {
        var target = model.state_dict();
        var source = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in file) source[name] = tensor;

        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var hardMissing = missing.Where(k => !rules.MayBeMissing(k)).ToList();
        if (hardMissing.Count > 0 || unexpected.Count > 0)
            throw new CheckpointException(path,
                $"does not match the {model.GetType().Name} architecture: {hardMissing.Count} of its {target.Count} keys missing"
                + (hardMissing.Count > 0 ? $" ({Abbreviate(hardMissing)})" : "")
                + $", {unexpected.Count} unexpected keys"
                + (unexpected.Count > 0 ? $" ({Abbreviate(unexpected)})" : "")
                + ". Is it a checkpoint of another architecture or size?");

        var plan = new List<(Tensor Target, Tensor Value)>();
        var headSkipped = new List<string>();
        var adapted = new List<string>();
        var loaded = new List<string>();
        foreach (var (key, expected) in target)
        {
            if (!source.TryGetValue(key, out var found)) continue;
            if (!found.is_floating_point() && expected.is_floating_point())
                throw new CheckpointException(path, $"tensor '{key}' has dtype {found.dtype}, which cannot hold the model's {expected.dtype} weights");
            if (found.shape.SequenceEqual(expected.shape))
            {
                plan.Add((expected, found));
                loaded.Add(key);
                continue;
            }
            if (rules.IsHead(key))
            {
                headSkipped.Add($"{key} [{Shape(found.shape)}]");
                continue;
            }
            var fitted = rules.Adapt?.Invoke(key, found, expected.shape);
            if (fitted is null || !fitted.shape.SequenceEqual(expected.shape))
            {
                fitted?.Dispose();
                throw new CheckpointException(path, $"tensor '{key}' has shape [{Shape(found.shape)}], but the model expects [{Shape(expected.shape)}]");
            }
            owned.Add(fitted);
            plan.Add((expected, fitted));
            adapted.Add($"{key} [{Shape(found.shape)}] -> [{Shape(expected.shape)}]");
            loaded.Add(key);
        }
        // A head is one unit: a half-replaced classifier (new weight, old bias) would be nonsense.
        if (headSkipped.Count > 0)
        {
            var kept = plan.Where(p => rules.IsHead(KeyOf(target, p.Target))).ToList();
            foreach (var p in kept) { plan.Remove(p); loaded.Remove(KeyOf(target, p.Target)); headSkipped.Add(KeyOf(target, p.Target)); }
        }

        using (no_grad())
        {
            foreach (var (t, value) in plan)
            {
                using var cast = value.to(t.dtype, t.device);
                t.copy_(cast);
            }
        }
        return new LoadReport(path, loaded, headSkipped, missing, adapted);
    }

    private static string KeyOf(Dictionary<string, Tensor> target, Tensor t) => target.First(kv => ReferenceEquals(kv.Value, t)).Key;

    private static string Shape(long[] shape) => string.Join(", ", shape);

    internal static string Abbreviate(IReadOnlyList<string> keys, int shown = 4) =>
        keys.Count <= shown ? string.Join(", ", keys) : string.Join(", ", keys.Take(shown)) + $", ... and {keys.Count - shown} more";
}
