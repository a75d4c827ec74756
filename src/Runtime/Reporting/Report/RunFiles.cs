using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.RunFolders;

namespace MiDistill.Runtime.Reporting.Report;

/// <summary>What a report reads from a run folder; every file but settings.json may be missing (a crashed or old run).</summary>
public sealed class RunFiles
{
    private RunFiles(string path) => Path = path;

    public string Path { get; }
    public string Name => System.IO.Path.GetFileName(Path);
    public string? RecipeText { get; private init; }
    public string SettingsJson { get; private init; } = "[]";
    public IReadOnlyList<MetricsRecord> Metrics { get; private init; } = Array.Empty<MetricsRecord>();
    public string? ResultsMarkdown { get; private init; }
    public ResultsCsv? Results { get; private init; }
    public RunEnvironment? Environment { get; private init; }

    /// <summary>Reads a run folder; a folder that is not one, or a damaged file, is an error naming the file and line.</summary>
    public static RunFiles Read(string folder)
    {
        if (File.Exists(folder))
            throw new IOException($"`{folder}` is a file; give a run folder (runs/<recipe>/<timestamp>-<variants>/)");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: no such run folder");
        // `runs/x/` and `runs/x` are the same folder, and its name titles the report.
        var path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(folder));
        string? Text(string name) => File.Exists(System.IO.Path.Combine(path, name)) ? File.ReadAllText(System.IO.Path.Combine(path, name)) : null;
        var settings = Text(RunFolder.SettingsFileName)
            ?? throw new FileNotFoundException($"{path}: not a MiDistill run folder ({RunFolder.SettingsFileName} is missing)");
        var metrics = new List<MetricsRecord>();
        var metricsPath = System.IO.Path.Combine(path, RunFolder.MetricsFileName);
        if (File.Exists(metricsPath))
        {
            int number = 0;
            // Shared read: the run may still be writing it.
            using var reader = new StreamReader(new FileStream(metricsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                number++;
                if (line.Length == 0) continue;
                try { metrics.Add(MetricsRecord.Parse(line)); }
                catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
                {
                    throw new InvalidDataException($"{metricsPath}({number}): not a metrics line: {e.Message}", e);
                }
            }
        }
        var csvPath = System.IO.Path.Combine(path, ResultsTable.CsvFileName);
        return new RunFiles(path)
        {
            RecipeText = Text(RunFolder.RecipeFileName),
            SettingsJson = settings,
            Metrics = metrics,
            ResultsMarkdown = Text(ResultsTable.MarkdownFileName),
            Results = File.Exists(csvPath) ? ResultsCsv.Read(csvPath) : null,
            Environment = RunEnvironment.Read(path),
        };
    }
}

/// <summary>results.csv: a header of columns after "variant", then one row per variant of raw invariant numbers (empty = none).</summary>
public sealed record ResultsCsv(IReadOnlyList<string> Columns, IReadOnlyList<(string Variant, IReadOnlyDictionary<string, double> Values)> Rows)
{
    public static ResultsCsv Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) throw new InvalidDataException($"{path}(1): empty results file");
        var header = SplitCsv(lines[0]);
        var rows = new List<(string, IReadOnlyDictionary<string, double>)>();
        for (int i = 1; i < lines.Count; i++)
        {
            var cells = SplitCsv(lines[i]);
            if (cells.Count != header.Count) throw new InvalidDataException($"{path}({i + 1}): {cells.Count} cells for {header.Count} columns");
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int c = 1; c < cells.Count; c++)
            {
                if (cells[c].Length == 0) continue;
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new InvalidDataException($"{path}({i + 1}): `{cells[c]}` in column `{header[c]}` is not a number");
                values[header[c]] = v;
            }
            rows.Add((cells[0], values));
        }
        return new ResultsCsv(header.Skip(1).ToList(), rows);
    }

    // results.csv quotes a cell only when it holds a comma or a quote.
    private static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cell.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
