using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace MiDistill.Runtime.RunFolders;

/// <summary>
/// metrics.jsonl: one flat JSON object per line,
/// <c>{"stage":"finetune","variant":"remem","seed":0,"replicate":0,"epoch":3,"time":"...","elapsed_s":12.5,"loss":0.53,...}</c>.
/// (stage, variant, seed, replicate, epoch) names a line: replicates of <c>seed [0, 1]</c> differ in
/// seed and replicate. Flat lines load straight into a data frame; each line is flushed so a
/// crashed or running experiment can be read (tail -f) up to its last epoch.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "stage", "variant", "seed", "replicate", "epoch", "time", "elapsed_s" };

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

    /// <summary>True for the fields every line has (stage, variant, seed, replicate, epoch, time, elapsed_s).</summary>
    public static bool IsFixedField(string name) => Reserved.Contains(name);

    /// <summary>
    /// Appends one line, stamped now, and returns it (without its newline). Non-finite values (a
    /// diverged loss) are written as null, since JSON has no NaN; <paramref name="values"/> keys must
    /// not reuse the fixed field names.
    /// </summary>
    public string Write(string stage, string variant, int seed, int replicate, int epoch, IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var line = Format(new MetricsRecord(stage, variant, seed, replicate, epoch, DateTimeOffset.Now, _clock.Elapsed.TotalSeconds, values));
        AppendLine(line);
        return line;
    }

    /// <summary>Seconds since this writer opened the file: the <c>elapsed_s</c> of a line stamped now.</summary>
    public double ElapsedSeconds => _clock.Elapsed.TotalSeconds;

    /// <summary>
    /// The line of <paramref name="record"/> as metrics.jsonl holds it (no newline): the fixed fields,
    /// <c>time</c> to the millisecond and <c>elapsed_s</c> rounded to 3 digits, then the values in
    /// their order, a non-finite one (a diverged loss) as null, since JSON has no NaN.
    /// </summary>
    public static string Format(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        foreach (var key in record.Values.Keys)
            if (Reserved.Contains(key))
                throw new ArgumentException($"metric name \"{key}\" is one of the fixed fields ({string.Join(", ", Reserved)})", nameof(record));

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("stage", record.Stage);
            json.WriteString("variant", record.Variant);
            json.WriteNumber("seed", record.Seed);
            json.WriteNumber("replicate", record.Replicate);
            json.WriteNumber("epoch", record.Epoch);
            json.WriteString("time", (record.Time ?? DateTimeOffset.Now).ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture));
            json.WriteNumber("elapsed_s", Math.Round(record.ElapsedSeconds, 3));
            foreach (var (key, value) in record.Values)
            {
                if (double.IsFinite(value))
                    json.WriteNumber(key, value);
                else
                    json.WriteNull(key);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Appends a line <see cref="Write"/> returned earlier, byte for byte (a resumed stage's finished epochs).</summary>
    public void Append(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Contains('\n')) throw new ArgumentException("a metrics line holds no newline", nameof(line));
        AppendLine(line);
    }

    private void AppendLine(string line)
    {
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
