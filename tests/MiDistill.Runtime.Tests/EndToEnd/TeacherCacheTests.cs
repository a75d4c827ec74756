using System;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>A damaged cached pretrained teacher is never used: the run says so, pretrains it again and writes a sound entry.</summary>
public sealed class TeacherCacheTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-cache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private ExperimentReport Run(string name, TextWriter output) => new KillableRecipe().Run(new RunRequest
    {
        OutputDirectory = Path.Combine(_root, name),
        CacheDirectory = Path.Combine(_root, "cache"),
        Output = output,
    });

    [Theory]
    [InlineData("flipped", "the file is damaged: its contents do not match the checksum in its header")]
    [InlineData("truncated", "is truncated or corrupt")]
    public void A_damaged_cached_teacher_is_reported_and_pretrained_again_to_the_same_weights(string damage, string problem)
    {
        var first = Run("first", TextWriter.Null);
        var entry = Assert.Single(Directory.GetFiles(Path.Combine(_root, "cache", "teachers"), "*" + ModelFile.Extension));
        var weights = Safetensors.ReadMetadata(entry)[Safetensors.ChecksumKey];
        var bytes = File.ReadAllBytes(entry);
        if (damage == "flipped") bytes[^5] ^= 0x08; // one bit of the last tensor's data
        else bytes = bytes[..^64];
        File.WriteAllBytes(entry, bytes);
        // What writers killed before their rename leave beside the entry (a model file, a checkpoint).
        var abandoned = new[] { entry + ".4242.tmp", Path.ChangeExtension(entry, ".ckpt") + ".4243.tmp" };
        foreach (var file in abandoned) File.WriteAllText(file, "half written");

        var log = new StringWriter();
        var second = Run("second", log);
        var text = log.ToString();
        var reported = text.Split('\n').SingleOrDefault(l => l.StartsWith($"[pretrain] checkpoint '{entry}': ", StringComparison.Ordinal));
        Assert.True(reported is not null, $"no line names the damaged entry {entry}:\n{text}");
        Assert.Contains(problem, reported);
        Assert.EndsWith("; pretraining it again", reported.TrimEnd());
        Assert.Contains("[pretrain] pretraining `micro_28` on 300 upstream images", text);
        Assert.DoesNotContain("using cached teacher", text);
        Assert.All(abandoned, file => Assert.False(File.Exists(file), $"{file} was left in the cache"));

        // The entry is whole again, with the weights it had before the damage (same seed, same threads),
        // and the second run computed every line the first did, pretraining included.
        Assert.Equal(weights, Safetensors.ReadMetadata(entry)[Safetensors.ChecksumKey]);
        Assert.Equal(RunComparison.MetricLines(first.RunFolder), RunComparison.MetricLines(second.RunFolder));
        Assert.Equal(RunComparison.ResultsWithoutTime(first.RunFolder), RunComparison.ResultsWithoutTime(second.RunFolder));

        // ... and a third run takes it from the cache.
        var third = new StringWriter();
        Run("third", third);
        Assert.Contains($"[pretrain] using cached teacher {entry}", third.ToString());
    }
}
