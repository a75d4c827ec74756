using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.RunFolders;
using TorchSharp;
using SummaryWriter = TorchSharp.Modules.SummaryWriter;

namespace MiDistill.Runtime.Reporting.TensorBoard;

/// <summary>
/// The run folder's <c>tensorboard/</c>: TensorBoard event files written by TorchSharp's own
/// <c>SummaryWriter</c>, one TensorBoard run per variant and seed (<c>tensorboard/&lt;variant&gt;/seed&lt;s&gt;/</c>;
/// pretraining is the variant <c>shared</c>, as in metrics.jsonl). Every metrics.jsonl value becomes
/// the scalar <c>&lt;stage&gt;/&lt;metric&gt;</c> at step = epoch (spaces in names become underscores), so
/// <c>tensorboard --logdir runs/</c> shows every run's curves side by side.
/// </summary>
/// <remarks>
/// The events mirror metrics.jsonl: when a resumed run cuts metrics.jsonl back, <see cref="Rebuild"/>
/// writes the events again from the lines that remain, so no replayed epoch appears twice.
/// </remarks>
public sealed class TensorBoardLog
{
    public const string FolderName = "tensorboard";

    private readonly string _root;
    private readonly Dictionary<string, SummaryWriter> _writers = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public TensorBoardLog(string runFolder) => _root = Path.Combine(runFolder, FolderName);

    public string Root => _root;

    /// <summary>The TensorBoard run (a folder under tensorboard/) that holds one variant and seed.</summary>
    public static string RunName(string variant, int seed) => $"{SafeSegment(variant)}/seed{seed}";

    /// <summary>The scalar tag of one metric of one stage.</summary>
    public static string Tag(string stage, string metric) => $"{SafeSegment(stage)}/{metric.Replace(' ', '_')}";

    public void Record(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        // TensorBoard's wall time (seconds since 1970): when the line was written, also for replayed lines.
        long wallTime = (record.Time ?? DateTimeOffset.Now).ToUnixTimeSeconds();
        lock (_gate)
        {
            var writer = Writer(RunName(record.Variant, record.Seed));
            foreach (var (metric, value) in record.Values)
                writer.add_scalar(Tag(record.Stage, metric), (float)value, record.Epoch, wallTime);
        }
    }

    /// <summary>The TensorBoard run of a variant's MI analyses (<c>tensorboard/&lt;variant&gt;/analysis/</c>).</summary>
    public static string AnalysisRunName(string variant) => $"{SafeSegment(variant)}/analysis";

    /// <summary>A scalar that is no metrics line (an MI analysis) in the TensorBoard run <paramref name="run"/>.</summary>
    public void Scalar(string run, string tag, double value, int step)
    {
        lock (_gate)
            Writer(run).add_scalar(tag, (float)value, step, DateTimeOffset.Now.ToUnixTimeSeconds());
    }

    /// <summary>Deletes the event files and writes them again from <paramref name="lines"/> (metrics.jsonl as it now is).</summary>
    public void Rebuild(IEnumerable<string> lines)
    {
        lock (_gate)
        {
            _writers.Clear();
            if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
            foreach (var line in lines.Where(l => l.Length > 0))
                Record(MetricsRecord.Parse(line));
        }
    }

    private SummaryWriter Writer(string run)
    {
        if (!_writers.TryGetValue(run, out var writer))
            _writers[run] = writer = torch.utils.tensorboard.SummaryWriter(Path.Combine(_root, run));
        return writer;
    }

    private static string SafeSegment(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var safe = new string(name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '_' : c).ToArray());
        return safe is "" or "." or ".." ? "_" + safe : safe;
    }
}
