using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>What two runs must share to count as the same run: every metric line, times aside.</summary>
internal static class RunComparison
{
    private static readonly HashSet<string> Clock = new() { "time", "elapsed_s", "epoch_s", "data_frac" };

    public static List<string> MetricLines(string runFolder) =>
        File.ReadAllLines(Path.Combine(runFolder, "metrics.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => string.Join(",", e.EnumerateObject().Where(p => !Clock.Contains(p.Name)).Select(p => $"{p.Name}={p.Value.GetRawText()}")))
            .ToList();

    // The last two columns are the times: pretraining and the variant's own training.
    public static List<string> ResultsWithoutTime(string runFolder) =>
        File.ReadAllLines(Path.Combine(runFolder, "results.csv"))
            .Select(line => string.Join(",", line.Split(',').SkipLast(2)))
            .ToList();
}
