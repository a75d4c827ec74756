using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using MiDistill.Runtime.Reporting;
using MiDistill.Runtime.RunFolders;

namespace MiDistill.Runtime.Tests.RunFolders;

public sealed class RunFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-runs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Creates_the_layout_and_suffixes_a_second_run_in_the_same_second()
    {
        var now = new DateTime(2025, 3, 4, 5, 6, 7);
        using var first = RunFolder.Create(_root, "fewshot", "all", "recipe fewshot {}\n", "{\n  \"a\": 1\n}", now);
        using var second = RunFolder.Create(_root, "fewshot", "all", "x", "{}", now);
        using var third = RunFolder.Create(_root, "fewshot", "all", "x", "{}", now);

        Assert.Equal(Path.Combine(_root, "fewshot", "20250304-050607-all"), first.Path);
        Assert.Equal(first.Path + "-2", second.Path);
        Assert.Equal(first.Path + "-3", third.Path);
        Assert.Equal("recipe fewshot {}\n", File.ReadAllText(Path.Combine(first.Path, "recipe.distill")));
        Assert.Equal("{\n  \"a\": 1\n}\n", File.ReadAllText(Path.Combine(first.Path, "settings.json")));
        Assert.True(Directory.Exists(first.CheckpointsPath));
        Assert.Equal(Path.Combine(first.Path, "checkpoints"), first.CheckpointsPath);
    }

    [Fact]
    public void Unsafe_names_become_one_path_segment()
    {
        using var run = RunFolder.Create(_root, "a/b", "x y", "", "{}");
        Assert.Equal(Path.Combine(_root, "a_b"), Path.GetDirectoryName(run.Path));
        Assert.EndsWith("-x_y", run.Path);
    }

    [Fact]
    public void Metrics_lines_parse_and_carry_the_fields()
    {
        string path;
        using (var run = RunFolder.Create(_root, "r", "v", "", "{}"))
        {
            run.Metrics.Write("finetune", "remem", 4, 1, 1, new Dictionary<string, double> { ["loss"] = 0.5, ["acc"] = 0.8125 });
            // Flushed per line: readable while the run goes on.
            path = Path.Combine(run.Path, "metrics.jsonl");
            Assert.Single(ReadShared(path));
            run.Metrics.Write("distill", "remem", 4, 1, 2, new Dictionary<string, double> { ["loss"] = double.NaN });
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);

        using var first = JsonDocument.Parse(lines[0]);
        var root = first.RootElement;
        Assert.Equal("finetune", root.GetProperty("stage").GetString());
        Assert.Equal("remem", root.GetProperty("variant").GetString());
        Assert.Equal(1, root.GetProperty("epoch").GetInt32());
        Assert.Equal(4, root.GetProperty("seed").GetInt32());
        Assert.Equal(1, root.GetProperty("replicate").GetInt32());
        Assert.Equal(0.5, root.GetProperty("loss").GetDouble());
        Assert.Equal(0.8125, root.GetProperty("acc").GetDouble());
        Assert.True(root.GetProperty("elapsed_s").GetDouble() >= 0);
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("time").GetString(), out _));
        Assert.Equal(new[] { "stage", "variant", "seed", "replicate", "epoch", "time", "elapsed_s", "loss", "acc" }, root.EnumerateObject().Select(p => p.Name));

        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal(JsonValueKind.Null, second.RootElement.GetProperty("loss").ValueKind);
    }

    [Fact]
    public void Metric_names_may_not_shadow_the_fixed_fields()
    {
        using var writer = new MetricsWriter(Path.Combine(_root, "m.jsonl"));
        Assert.Throws<ArgumentException>(() => writer.Write("s", "v", 0, 0, 1, new Dictionary<string, double> { ["epoch"] = 1 }));
    }

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
