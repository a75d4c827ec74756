using System;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace MiDistill.LanguageServer.Workspace;

/// <summary>
/// One schema per project folder, read again when what it was read from changed (a saved .cs file,
/// a rebuilt runtime). The check lists the project's files, so it runs at most twice a second.
/// </summary>
internal sealed class SchemaCache
{
    private sealed record Entry(ProjectSchema Schema, string Stamp, long CheckedAt);

    private static readonly long Interval = Stopwatch.Frequency / 2;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly object _reading = new();

    /// <summary>Raised after a project's schema was read again (not the first time).</summary>
    public event Action<string>? Reread;

    public ProjectSchema For(string recipePath, bool forceCheck = false)
    {
        var directory = ProjectSchema.ProjectDirectoryOf(recipePath);
        var now = Stopwatch.GetTimestamp();
        if (_entries.TryGetValue(directory, out var entry) && !forceCheck && now - entry.CheckedAt < Interval) return entry.Schema;
        lock (_reading)
        {
            var stamp = ProjectSchema.Stamp(directory);
            if (_entries.TryGetValue(directory, out entry) && entry.Stamp == stamp)
            {
                _entries[directory] = entry with { CheckedAt = now };
                return entry.Schema;
            }
            var schema = ProjectSchema.Read(directory);
            bool again = entry is not null;
            _entries[directory] = new Entry(schema, stamp, now);
            if (again) Reread?.Invoke(directory);
            return schema;
        }
    }
}
