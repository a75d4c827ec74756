using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace MiDistill.Runtime.Reporting;

/// <summary>
/// The final table of a run, one row per variant: results.md for people (aligned, percentages with
/// one decimal) and results.csv for tools (raw invariant numbers, round-trippable).
/// </summary>
public sealed class ResultsTable
{
    public const string MarkdownFileName = "results.md";
    public const string CsvFileName = "results.csv";

    private readonly HashSet<string> _percent;
    private readonly List<(string Variant, IReadOnlyDictionary<string, double> Values)> _rows = new();

    /// <param name="columns">Value columns in display order (the variant column comes first on its own).</param>
    /// <param name="percentColumns">Columns holding fractions in [0, 1], shown as percentages in Markdown.</param>
    public ResultsTable(IEnumerable<string> columns, IEnumerable<string>? percentColumns = null, string variantHeader = "variant")
    {
        Columns = columns.ToArray();
        if (Columns.Distinct(StringComparer.Ordinal).Count() != Columns.Count)
            throw new ArgumentException("column names must be distinct", nameof(columns));
        _percent = new HashSet<string>(percentColumns ?? Array.Empty<string>(), StringComparer.Ordinal);
        foreach (var column in _percent)
            if (!Columns.Contains(column))
                throw new ArgumentException($"percentage column \"{column}\" is not among the columns", nameof(percentColumns));
        VariantHeader = variantHeader;
    }

    public IReadOnlyList<string> Columns { get; }
    public string VariantHeader { get; }
    public int RowCount => _rows.Count;

    /// <summary>Adds a row; a column the row lacks is shown empty. Unknown names are an error (a typo would vanish).</summary>
    public void AddRow(string variant, IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(values);
        foreach (var key in values.Keys)
            if (!Columns.Contains(key))
                throw new ArgumentException($"value \"{key}\" has no column; columns: {string.Join(", ", Columns)}", nameof(values));
        _rows.Add((variant, new Dictionary<string, double>(values)));
    }

    public string ToMarkdown()
    {
        var header = new[] { VariantHeader }.Concat(Columns).ToArray();
        var cells = _rows.Select(r => new[] { r.Variant }.Concat(Columns.Select(c => Display(c, r.Values))).ToArray()).ToList();
        var widths = header.Select((h, i) => Math.Max(3, cells.Select(row => row[i].Length).Append(h.Length).Max())).ToArray();

        var text = new StringBuilder();
        void Row(IReadOnlyList<string> row)
        {
            text.Append('|');
            for (int i = 0; i < row.Count; i++)
                text.Append(' ').Append(i == 0 ? row[i].PadRight(widths[i]) : row[i].PadLeft(widths[i])).Append(" |");
            text.Append('\n');
        }
        Row(header);
        text.Append('|');
        for (int i = 0; i < widths.Length; i++)
            text.Append(i == 0 ? ":" + new string('-', widths[i] + 1) : new string('-', widths[i] + 1) + ":").Append('|');
        text.Append('\n');
        foreach (var row in cells)
            Row(row);
        return text.ToString();
    }

    public string ToCsv()
    {
        var text = new StringBuilder();
        text.AppendJoin(',', new[] { VariantHeader }.Concat(Columns).Select(Csv)).Append('\n');
        foreach (var (variant, values) in _rows)
        {
            text.Append(Csv(variant));
            foreach (var column in Columns)
            {
                text.Append(',');
                if (values.TryGetValue(column, out var value))
                    text.Append(value.ToString("R", CultureInfo.InvariantCulture));
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    public void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        File.WriteAllText(Path.Combine(folder, MarkdownFileName), ToMarkdown(), utf8);
        File.WriteAllText(Path.Combine(folder, CsvFileName), ToCsv(), utf8);
    }

    private string Display(string column, IReadOnlyDictionary<string, double> values)
    {
        if (!values.TryGetValue(column, out var value))
            return "";
        if (!double.IsFinite(value))
            return value.ToString(CultureInfo.InvariantCulture);
        return _percent.Contains(column)
            ? (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%"
            : value.ToString("0.###", CultureInfo.InvariantCulture);
    }

    private static string Csv(string field) =>
        field.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
