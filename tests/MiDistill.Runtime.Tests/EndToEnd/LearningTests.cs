using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// The pipeline learns, read from what a user reads (metrics.jsonl): on a small Fashion-MNIST run
/// every stage's training loss falls, and teacher and student end far above chance on the test split.
/// </summary>
public sealed class LearningTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-learns-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Every_stage_s_loss_falls_and_test_accuracy_is_far_above_chance()
    {
        var report = new LearnsRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
        });
        var lines = File.ReadAllLines(Path.Combine(report.RunFolder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        List<double> Losses(string stage) => lines
            .Where(e => e.GetProperty("stage").GetString() == stage)
            .OrderBy(e => e.GetProperty("epoch").GetInt32())
            .Select(e => e.GetProperty("loss").GetDouble())
            .ToList();

        foreach (var stage in new[] { "pretrain", "finetune", "distill" })
        {
            var losses = Losses(stage);
            Assert.True(losses.Count >= 3, $"{stage}: {losses.Count} epochs");
            // The last epoch well below the first: learning, not noise.
            Assert.True(losses[^1] < 0.8 * losses[0], $"{stage} losses by epoch: {string.Join(", ", losses)}");
        }

        var evaluate = Assert.Single(lines, e => e.GetProperty("stage").GetString() == "evaluate");
        double teacher = evaluate.GetProperty("teacher acc").GetDouble();
        double student = evaluate.GetProperty("student acc").GetDouble();
        // Five classes: chance is 20%.
        Assert.True(teacher > 0.6, $"teacher test accuracy {teacher}, student {student}");
        Assert.True(student > 0.6, $"student test accuracy {student}");
    }
}
