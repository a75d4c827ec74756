using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace MiDistill.Runtime.Reporting;

/// <summary>
/// metrics.jsonl: one flat JSON object per line,
/// <c>{"stage":"finetune","variant":"remem","epoch":3,"time":"...","elapsed_s":12.5,"loss":0.53,...}</c>.
/// Flat lines load straight into a data frame; each line is flushed so a crashed or running
/// experiment can be read (tail -f) up to its last epoch.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "stage", "variant", "epoch", "time", "elapsed_s" };

    private readonly StreamWriter _writer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();

    public MetricsWriter(string path)
    {
        Path = path;
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
    }

    public string Path { get; }

    /// <summary>
    /// Appends one line. Non-finite values (a diverged loss) are written as null, since JSON has no
    /// NaN; <paramref name="values"/> keys must not reuse the fixed field names.
    /// </summary>
    public void Write(string stage, string variant, int epoch, IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var key in values.Keys)
            if (Reserved.Contains(key))
                throw new ArgumentException($"metric name \"{key}\" is one of the fixed fields ({string.Join(", ", Reserved)})", nameof(values));

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("stage", stage);
            json.WriteString("variant", variant);
            json.WriteNumber("epoch", epoch);
            json.WriteString("time", DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture));
            json.WriteNumber("elapsed_s", Math.Round(_clock.Elapsed.TotalSeconds, 3));
            foreach (var (key, value) in values)
            {
                if (double.IsFinite(value))
                    json.WriteNumber(key, value);
                else
                    json.WriteNull(key);
            }
            json.WriteEndObject();
        }
        var line = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        lock (_gate)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
            _writer.Dispose();
    }
}
