using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace MiDistill.Runtime.RunFolders;

/// <summary>One metrics.jsonl line as data: its fixed fields and its metric values (null in the file = NaN here).</summary>
public sealed record MetricsRecord(string Stage, string Variant, int Seed, int Replicate, int Epoch, DateTimeOffset? Time, double ElapsedSeconds, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>Reads one line as <see cref="MetricsWriter"/> writes it; a line that is not one is an error naming what is wrong.</summary>
    public static MetricsRecord Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a metrics line is one JSON object");
        string Text(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()!
            : throw new FormatException($"a metrics line needs the string field \"{name}\"");
        int Integer(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32()
            : throw new FormatException($"a metrics line needs the integer field \"{name}\"");
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (MetricsWriter.IsFixedField(property.Name)) continue;
            values[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.Number => property.Value.GetDouble(),
                JsonValueKind.Null => double.NaN,
                _ => throw new FormatException($"metric \"{property.Name}\" is {property.Value.ValueKind}, not a number"),
            };
        }
        DateTimeOffset? time = root.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : null;
        double elapsed = root.TryGetProperty("elapsed_s", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : 0;
        return new MetricsRecord(Text("stage"), Text("variant"), Integer("seed"), Integer("replicate"), Integer("epoch"), time, elapsed, values);
    }
}
