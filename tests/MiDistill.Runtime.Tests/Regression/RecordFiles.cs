using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MiDistill.Runtime.Tests.Regression;

/// <summary>
/// The files of a run that the regression record keeps, made here in C# independently of
/// scripts/regression-record.sh (which makes them with sed and awk): when a fresh run's files equal
/// the record byte for byte, both the numbers and the two ways of stripping them agree.
/// </summary>
internal static class RecordFiles
{
    /// <summary>The wall-clock fields of metrics.jsonl (MetricsWriter: time, elapsed_s; Trainer: epoch_s, data_frac).</summary>
    public static readonly IReadOnlySet<string> ClockFields = new HashSet<string>(StringComparer.Ordinal) { "time", "elapsed_s", "epoch_s", "data_frac" };

    /// <summary>The time columns of results.csv (ResultReport).</summary>
    public static readonly IReadOnlySet<string> TimeColumns = new HashSet<string>(StringComparer.Ordinal) { "pretrain (s)", "train (s)" };

    /// <summary>Written by the script beside the files: the recording machine, not a run's output.</summary>
    public const string CpuFile = "cpu.txt";

    // MetricsWriter writes names unescaped (UnsafeRelaxedJsonEscaping), e.g. "teacher acc".
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The record's files made from a run folder: relative path ('/' separated) to text.</summary>
    public static SortedDictionary<string, string> FromRun(string runFolder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["metrics.jsonl"] = Lines(Lines(File.ReadAllText(Path.Combine(runFolder, "metrics.jsonl"))).Select(StripMetricsLine)),
            ["results.csv"] = Lines(StripTimeColumns(Lines(File.ReadAllText(Path.Combine(runFolder, "results.csv"))))),
        };
        var paired = Path.Combine(runFolder, "results-paired.csv");
        if (File.Exists(paired)) files["results-paired.csv"] = File.ReadAllText(paired);
        var analysis = Path.Combine(runFolder, "analysis");
        if (Directory.Exists(analysis))
            foreach (var csv in Directory.GetFiles(analysis, "*.csv"))
                files["analysis/" + Path.GetFileName(csv)] = File.ReadAllText(csv);
        return files;
    }

    /// <summary>A committed record's files (every file but cpu.txt): relative path ('/' separated) to text.</summary>
    public static SortedDictionary<string, string> FromRecord(string recordFolder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(recordFolder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(recordFolder, file).Replace(Path.DirectorySeparatorChar, '/');
            if (relative != CpuFile) files[relative] = File.ReadAllText(file);
        }
        return files;
    }

    /// <summary>A metrics.jsonl line without its clock fields; every other field keeps its exact text and place.</summary>
    public static string StripMetricsLine(string line)
    {
        using var document = JsonDocument.Parse(line);
        var kept = document.RootElement.EnumerateObject()
            .Where(p => !ClockFields.Contains(p.Name))
            .Select(p => JsonSerializer.Serialize(p.Name, Relaxed) + ":" + p.Value.GetRawText());
        return "{" + string.Join(",", kept) + "}";
    }

    /// <summary>results.csv rows without the columns the header names as times.</summary>
    public static IEnumerable<string> StripTimeColumns(IReadOnlyList<string> rows)
    {
        if (rows.Any(r => r.Contains('"')))
            throw new InvalidDataException("results.csv has a quoted field; the record's column stripping splits on commas only");
        var header = rows[0].Split(',');
        var keep = Enumerable.Range(0, header.Length).Where(i => !TimeColumns.Contains(header[i])).ToArray();
        if (header.Length - keep.Length != TimeColumns.Count)
            throw new InvalidDataException($"results.csv should have the columns {string.Join(", ", TimeColumns)}; its header is {rows[0]}");
        return rows.Select(r => r.Split(',')).Select(cells => string.Join(",", keep.Select(i => cells[i])));
    }

    /// <summary>The lines of a text whose every line ends with '\n' (as MiDistill writes them).</summary>
    public static IReadOnlyList<string> Lines(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new InvalidDataException("the last line has no newline");
        return text.Length == 0 ? Array.Empty<string>() : text[..^1].Split('\n');
    }

    private static string Lines(IEnumerable<string> lines) => string.Concat(lines.Select(l => l + "\n"));
}
