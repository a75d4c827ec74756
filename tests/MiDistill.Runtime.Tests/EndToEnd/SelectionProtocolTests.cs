using System;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

public sealed class SelectionProtocolTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-protocol-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Paper_protocol_reports_the_best_student_over_the_kept_teacher_epochs_for_every_seed()
    {
        var log = new StringWriter();
        var report = new PaperRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = log,
        });

        Assert.Equal(new[] { 1, 2 }, report.Results.Select(r => r.Seed));
        foreach (var result in report.Results)
        {
            // The log lists each kept epoch's student; the reported one is the best of them.
            var candidates = log.ToString().Split('\n')
                .Where(l => l.StartsWith($"[{result.Variant}/seed{result.Seed}] teacher epoch", StringComparison.Ordinal))
                .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..].TrimEnd('%', '\r'), System.Globalization.CultureInfo.InvariantCulture))
                .ToList();
            Assert.Equal(2, candidates.Count);
            Assert.Equal(Math.Round(100 * result.Student["acc"], 1), candidates.Max());
            Assert.Contains(result.TeacherEpoch, new int?[] { 1, 2 });
        }
        var folder = report.RunFolder;
        Assert.True(File.Exists(Path.Combine(folder, "checkpoints", "default-seed1-teacher-epoch1.safetensors")));
        var table = File.ReadAllText(Path.Combine(folder, "results.md"));
        Assert.Contains("paper protocol", table);
        Assert.Contains("student acc sd", table);
        // The information plane has a point for every kept teacher epoch of every replicate, besides the final teacher.
        var plane = File.ReadAllLines(Path.Combine(folder, "analysis", "information_plane.csv"));
        Assert.Equal(2, plane.Count(l => l.Contains("epoch 1")));
        Assert.Equal(2, plane.Count(l => l.Contains("epoch 2")));
    }
}
