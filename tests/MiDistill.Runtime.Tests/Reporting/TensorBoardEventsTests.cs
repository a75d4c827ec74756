using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MiDistill.Runtime.Reporting.TensorBoard;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Reporting;

public sealed class TensorBoardEventsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-tb-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void The_readers_crc32c_gives_the_standard_check_value()
    {
        // The CRC-32C check value of "123456789" (RFC 3720, B.4).
        Assert.Equal(0xE3069283u, TensorBoardEvents.Crc32C(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Cutting_metrics_back_rewrites_the_events_from_the_lines_that_remain()
    {
        // TensorBoard observes the run's metrics lines (TrainingObservers.Standard), as a run wires it.
        using var run = RunFolder.Create(_root, "tb", "all", "recipe tb {}", "[]");
        var context = new RunContext(CPU, TextWriter.Null, run, new ExperimentHooks());
        void Record(int epoch, double loss, double accuracy) =>
            context.Notify(o => o.Recorded(context.Stamp("finetune", "remem", 7, epoch, new Dictionary<string, double> { ["loss"] = loss, ["val acc"] = accuracy })));
        Record(1, 0.5, 0.25);
        context.Commit();
        Record(2, 0.125, double.NaN);
        Assert.Equal(new[] { ("finetune/loss", 1L, 0.5f), ("finetune/loss", 2L, 0.125f), ("finetune/val_acc", 1L, 0.25f), ("finetune/val_acc", 2L, float.NaN) }, Scalars(run.Path));

        context.RewindMetrics();
        // A resumed stage writes its epoch 2 again: it must appear once, with the new value.
        Record(2, 0.25, 0.5);
        Assert.Equal(new[] { ("finetune/loss", 1L, 0.5f), ("finetune/loss", 2L, 0.25f), ("finetune/val_acc", 1L, 0.25f), ("finetune/val_acc", 2L, 0.5f) }, Scalars(run.Path));
        Assert.Single(Directory.GetFiles(Path.Combine(run.Path, TensorBoardLog.FolderName, "remem", "seed7")));
        Assert.Equal(2, File.ReadAllLines(run.Metrics.Path).Length);
    }

    [Fact]
    public void The_run_folder_writes_no_events_itself()
    {
        using var run = RunFolder.Create(_root, "tb", "all", "recipe tb {}", "[]");
        run.Metrics.Write("finetune", "remem", 7, 0, 1, new Dictionary<string, double> { ["loss"] = 0.5 });
        Assert.False(Directory.Exists(Path.Combine(run.Path, TensorBoardLog.FolderName)));
    }

    private static List<(string, long, float)> Scalars(string runFolder) =>
        Directory.GetFiles(Path.Combine(runFolder, TensorBoardLog.FolderName), "events.out.tfevents.*", SearchOption.AllDirectories)
            .SelectMany(TensorBoardEvents.Read).SelectMany(e => e.Scalars.Select(s => (s.Tag, e.Step, s.Value)))
            .OrderBy(s => s.Tag, StringComparer.Ordinal).ThenBy(s => s.Step).ToList();
}
